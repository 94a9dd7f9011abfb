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
        let bytes = Array(address.utf8)
        guard bytes.count <= 254, let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { return false }
        let local = bytes[..<at], domain = bytes[(at + 1)...]
        guard (1...64).contains(local.count), !domain.isEmpty else { return false }
        for run in local.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard !run.isEmpty, run.allSatisfy({ $0 >= 0x80 || isAlphanumeric($0) || localSymbols.contains($0) })
            else { return false }
        }
        let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        for label in labels {
            guard (1...63).contains(label.count),
                  label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-"),
                  label.allSatisfy({ $0 >= 0x80 || isAlphanumeric($0) || $0 == UInt8(ascii: "-") })
            else { return false }
        }
        return !labels.last!.allSatisfy(\.isASCIIDigit)
    }

    private static func isAlphanumeric(_ b: UInt8) -> Bool {
        b.isASCIIDigit || (b >= 65 && b <= 90) || (b >= 97 && b <= 122)
    }
}
