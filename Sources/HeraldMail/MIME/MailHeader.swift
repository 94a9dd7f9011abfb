/// An extra header field of a ``MailMessage`` (for example `X-Herald-Delivery`).
///
/// The value is unstructured text: it is folded, and encoded per RFC 2047 when it holds
/// non-ASCII text. CR and LF in the value become spaces, so a value cannot inject headers.
public struct MailHeader: Hashable, Sendable {
    /// The field name: printable ASCII without `:` or spaces (others are removed).
    public var name: String
    /// The field value.
    public var value: String

    /// Creates a header field.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
