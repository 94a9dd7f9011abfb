/// One personalized message.
public struct RenderedMessage: Hashable, Sendable {
    /// The subject line.
    public var subject: String
    /// The HTML body, links rewritten and the open pixel appended when tracking is on.
    public var html: String
    /// The plain-text body, if the content has one.
    public var text: String?

    /// Creates a rendered message.
    public init(subject: String, html: String, text: String? = nil) {
        self.subject = subject
        self.html = html
        self.text = text
    }

    /// The size that the control checks compare to their limits: the UTF-8 bytes of the
    /// subject and the bodies.
    public var size: Int { subject.utf8.count + html.utf8.count + (text?.utf8.count ?? 0) }
}
