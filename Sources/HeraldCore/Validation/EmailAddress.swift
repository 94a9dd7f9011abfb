/// Syntax checks for email addresses.
///
/// Accepts the common `local@domain` form (RFC 5321/5322 dot-atoms, SMTPUTF8 allowed):
/// - at most 254 bytes in all, a local part of 1–64 bytes, one `@`;
/// - the local part is dot-separated non-empty runs of letters, digits, non-ASCII
///   characters and ``localSymbols``;
/// - the domain has at least two dot-separated labels of 1–63 bytes of letters, digits,
///   `-` and non-ASCII characters, no label starts or ends with `-`, and the last label
///   is not all digits.
///
/// Quoted local parts, comments and IP-literal domains are refused: they are legal but
/// nearly always a mistake in a mailing list (cause BAD_QUALITY_ADDRESS).
public enum EmailAddress {
    /// The ASCII symbols allowed in a local part besides letters, digits and dots.
    public static let localSymbols = Set("!#$%&'*+-/=?^_`{|}~".utf8)

    /// Whether `address` is syntactically valid by the rules above.
    public static func isValid(_ address: String) -> Bool {
        // One pass over the UTF-8 bytes, without allocating (a preparation checks every
        // targeted address).
        if let valid = address.utf8.withContiguousStorageIfAvailable(isValid) { return valid }
        return Array(address.utf8).withUnsafeBufferPointer(isValid)
    }

    private static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count <= 254, let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { return false }
        guard (1...64).contains(at), at + 1 < bytes.count else { return false }
        // The local part: dot-separated non-empty runs.
        var runLength = 0
        for i in 0..<at {
            let b = bytes[i]
            if b == UInt8(ascii: ".") {
                guard runLength > 0 else { return false }
                runLength = 0
            } else {
                guard b >= 0x80 || isAlphanumeric(b) || isLocalSymbol(b) else { return false }
                runLength += 1
            }
        }
        guard runLength > 0 else { return false }
        // The domain: at least two labels of 1–63 bytes, no `-` at either end, the last
        // not all digits.
        var labels = 0, labelStart = at + 1, allDigits = true
        for i in (at + 1)...bytes.count {
            if i == bytes.count || bytes[i] == UInt8(ascii: ".") {
                let length = i - labelStart
                guard (1...63).contains(length), bytes[labelStart] != UInt8(ascii: "-"), bytes[i - 1] != UInt8(ascii: "-")
                else { return false }
                labels += 1
                if i == bytes.count { return labels >= 2 && !allDigits }
                labelStart = i + 1
                allDigits = true
            } else {
                let b = bytes[i]
                guard b >= 0x80 || isAlphanumeric(b) || b == UInt8(ascii: "-") else { return false }
                if !b.isASCIIDigit { allDigits = false }
            }
        }
        return false
    }

    /// Whether `b` is one of ``localSymbols`` (tested without hashing).
    private static func isLocalSymbol(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "/"),
             UInt8(ascii: "="), UInt8(ascii: "?"), UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"),
             UInt8(ascii: "{"), UInt8(ascii: "|"), UInt8(ascii: "}"), UInt8(ascii: "~"):
            true
        default: false
        }
    }

    private static func isAlphanumeric(_ b: UInt8) -> Bool {
        b.isASCIIDigit || (b >= 65 && b <= 90) || (b >= 97 && b <= 122)
    }
}
