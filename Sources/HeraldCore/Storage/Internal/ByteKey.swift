/// A string compared, hashed and ordered by its UTF-8 bytes, as SQLite's BINARY
/// collation does (Swift's `String` equality is Unicode canonical equivalence).
struct ByteKey: Hashable, Comparable, Sendable {
    let bytes: [UInt8]

    init(_ string: String) {
        self.bytes = Array(string.utf8)
    }

    static func < (lhs: ByteKey, rhs: ByteKey) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}
