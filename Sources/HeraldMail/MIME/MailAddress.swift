/// A mailbox: an optional display name and an address (`"Ana Løvberg" <ana@example.com>`).
///
/// The address is used as given in the envelope and in headers; it must be ASCII
/// (internationalized addresses need SMTPUTF8, which Herald does not use). The display
/// name may be any Unicode text: headers encode it per RFC 2047 when needed.
public struct MailAddress: Hashable, Sendable {
    /// The display name, or `nil` for a bare address.
    public var name: String?
    /// The address, `local@domain`.
    public var address: String

    /// Creates a mailbox.
    public init(name: String? = nil, address: String) {
        self.name = name
        self.address = address
    }

    /// The part after the last `@`, lowercased; empty when there is none.
    public var domain: String {
        guard let at = address.lastIndex(of: "@") else { return "" }
        return address[address.index(after: at)...].lowercased()
    }
}
