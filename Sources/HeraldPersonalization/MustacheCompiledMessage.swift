import HeraldCore
import Mustache

/// A delivery's content compiled by ``MustacheReferenceRenderer``.
struct MustacheCompiledMessage: CompiledMessage {
    let subject: MustacheTemplate
    let html: MustacheTemplate
    let text: MustacheTemplate?
    let trackedLinks: [String]
    let options: RenderingOptions

    func render(_ profile: Profile, identity: MessageIdentity) throws(PersonalizationError) -> RenderedMessage {
        let context = MessageContext(profile: profile, identity: identity, options: options)
        let renderedSubject = subject.render(context)
        if renderedSubject.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) {
            throw PersonalizationError(reason: "the personalized subject contains a line break")
        }
        return RenderedMessage(subject: renderedSubject, html: html.render(context), text: text?.render(context))
    }
}
