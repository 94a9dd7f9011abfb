/// Which template of a delivery's content.
public enum TemplatePart: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// `content.subject`.
    case subject
    /// `content.html_body`.
    case html = "html_body"
    /// `content.text_body`.
    case text = "text_body"

    /// The API field name, e.g. `html_body`.
    public var description: String { rawValue }
}
