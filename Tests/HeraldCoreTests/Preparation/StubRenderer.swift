import HeraldCore

/// A renderer without a template language, for engine tests: the subject is the template
/// with `{{first_name}}` replaced; a profile whose first name is `FAIL` fails.
struct StubRenderer: MessageRenderer {
    func analyze(_ template: String, part: TemplatePart, trackLinks: Bool) throws(TemplateSyntaxError) -> TemplateAnalysis {
        if template.contains("{{#broken}}") { throw TemplateSyntaxError(part: part, line: 1, column: 1, reason: "broken") }
        // Rendering reads the first name (of any template): listed, so that the engine reads it.
        var fields: [TemplateAnalysis.Field] = [.init(name: "first_name", line: 1, column: 1)]
        if template.contains("{{unsubscribe_url}}") { fields.append(.init(name: "unsubscribe_url", line: 1, column: 1)) }
        return TemplateAnalysis(fields: fields)
    }

    func compile(_ content: Delivery.Content, options: RenderingOptions) throws(TemplateSyntaxError) -> any CompiledMessage {
        Compiled(content: content)
    }

    struct Compiled: CompiledMessage {
        let content: Delivery.Content
        var trackedLinks: [String] { [] }

        func render(_ profile: Profile, identity: MessageIdentity) throws(PersonalizationError) -> RenderedMessage {
            if profile.firstName == "FAIL" { throw PersonalizationError(reason: "stub failure") }
            return RenderedMessage(
                subject: content.subject.replacingFirstName(with: profile.firstName),
                html: content.htmlBody + identity.trackingID
            )
        }
    }
}

extension String {
    fileprivate func replacingFirstName(with name: String) -> String {
        var out = "", rest = Substring(self)
        while let range = rest.firstRange(of: "{{first_name}}") {
            out += rest[..<range.lowerBound] + name
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
