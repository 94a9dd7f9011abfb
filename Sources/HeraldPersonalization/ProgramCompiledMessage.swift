import HeraldCore

/// A delivery's content compiled by ``MustacheMessageRenderer``: one ``TemplateProgram``
/// per template, and the reference compilation for the messages a program cannot print.
struct ProgramCompiledMessage: CompiledMessage {
    let subject: TemplateProgram
    let html: TemplateProgram
    let text: TemplateProgram?
    let reference: MustacheCompiledMessage
    let urls: TrackingURLs

    init(subject: TemplateProgram, html: TemplateProgram, text: TemplateProgram?, reference: MustacheCompiledMessage) {
        self.subject = subject
        self.html = html
        self.text = text
        self.reference = reference
        urls = TrackingURLs(reference.options)
    }

    var trackedLinks: [String] { reference.trackedLinks }

    func render(_ profile: Profile, identity: MessageIdentity) throws(PersonalizationError) -> RenderedMessage {
        guard let (subjectBytes, htmlBytes, textBytes) = try bytes(profile, identity: identity) else {
            return try reference.render(profile, identity: identity)
        }
        return RenderedMessage(
            subject: String(decoding: subjectBytes, as: UTF8.self), html: String(decoding: htmlBytes, as: UTF8.self),
            text: textBytes.map { String(decoding: $0, as: UTF8.self) }
        )
    }

    func messageSize(_ profile: Profile, identity: MessageIdentity) throws(PersonalizationError) -> Int {
        // Measured, not built: nothing is copied or allocated but the writer's stack.
        var writer = MessageWriter(trackingID: identity.trackingID, urls: urls)
        var subjectCount = ByteCount(), bodyCount = ByteCount()
        do throws(MessageWriter.NeedsReference) {
            try writer.write(subject, profile, to: &subjectCount)
            try writer.write(html, profile, to: &bodyCount)
            if let text { try writer.write(text, profile, to: &bodyCount) }
        } catch {
            return try reference.render(profile, identity: identity).size
        }
        if subjectCount.sawLineBreak {
            throw PersonalizationError(reason: "the personalized subject contains a line break")
        }
        return subjectCount.count + bodyCount.count
    }

    /// The three parts' bytes, or `nil` when the reference path must render the message.
    private func bytes(_ profile: Profile, identity: MessageIdentity) throws(PersonalizationError) -> ([UInt8], [UInt8], [UInt8]?)? {
        var writer = MessageWriter(trackingID: identity.trackingID, urls: urls)
        var subjectBytes: [UInt8] = [], htmlBytes: [UInt8] = [], textBytes: [UInt8]? = nil
        subjectBytes.reserveCapacity(subject.literalByteCount + 64)
        htmlBytes.reserveCapacity(html.literalByteCount + 512)
        do throws(MessageWriter.NeedsReference) {
            try writer.write(subject, profile, to: &subjectBytes)
            try writer.write(html, profile, to: &htmlBytes)
            if let text {
                var bytes: [UInt8] = []
                bytes.reserveCapacity(text.literalByteCount + 128)
                try writer.write(text, profile, to: &bytes)
                textBytes = bytes
            }
        } catch {
            return nil
        }
        if subjectBytes.contains(where: { $0 == 0x0A || $0 == 0x0D }) {
            throw PersonalizationError(reason: "the personalized subject contains a line break")
        }
        return (subjectBytes, htmlBytes, textBytes)
    }
}
