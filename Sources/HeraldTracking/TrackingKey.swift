/// A tracking token signing key: an id carried in every token (so keys can rotate) and
/// its secret.
public struct TrackingKey: Hashable, Sendable {
    /// Why a key was refused.
    public struct Error: Swift.Error, Hashable, CustomStringConvertible {
        /// One line of English.
        public var message: String
        public var description: String { message }
    }

    /// The shortest secret accepted, in bytes (128 bits).
    public static let minimumSecretLength = 16
    /// The longest key id accepted.
    public static let maximumIDLength = 32

    /// The key id: 1 to 32 of `A-Z a-z 0-9 - _`.
    public let id: String
    /// The secret bytes.
    public let secret: [UInt8]

    /// Creates a key.
    ///
    /// - Throws: ``Error`` when the id is empty, too long or has other characters than
    ///   `A-Z a-z 0-9 - _`, or when the secret is shorter than 16 bytes.
    public init(id: String, secret: [UInt8]) throws(Error) {
        guard !id.isEmpty, id.utf8.count <= Self.maximumIDLength, id.utf8.allSatisfy(Self.isIDByte) else {
            throw Error(message: "invalid tracking key id '\(id)' (1 to \(Self.maximumIDLength) of A-Z a-z 0-9 - _)")
        }
        guard secret.count >= Self.minimumSecretLength else {
            throw Error(message: "the secret of tracking key '\(id)' is shorter than \(Self.minimumSecretLength) bytes")
        }
        self.id = id
        self.secret = secret
    }

    /// Parses `KEYID:SECRET` (the secret's UTF-8 bytes are the key), as `--tracking-key`
    /// and `HERALD_TRACKING_KEYS` give it.
    ///
    /// - Throws: ``Error`` when there is no colon or the parts are invalid.
    public init(parsing text: String) throws(Error) {
        guard let colon = text.firstIndex(of: ":") else {
            throw Error(message: "invalid tracking key '\(text.prefix(12))…' (expected KEYID:SECRET)")
        }
        try self.init(id: String(text[..<colon]), secret: Array(text[text.index(after: colon)...].utf8))
    }

    static func isIDByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }
}
