/// The unsubscribe targets of a message: `List-Unsubscribe: <https://…>, <mailto:…>` and,
/// with an HTTPS URL, `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 2369, RFC 8058).
public struct ListUnsubscribe: Hashable, Sendable {
    /// The one-click unsubscribe URL (`https://…`); receives a POST per RFC 8058.
    public var url: String
    /// The `mailto:` target (with or without the `mailto:` prefix), if any.
    public var mailto: String?

    /// Creates the unsubscribe targets.
    public init(url: String, mailto: String? = nil) {
        self.url = url
        self.mailto = mailto
    }
}
