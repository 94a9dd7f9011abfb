import HeraldCore
import Testing

@Suite("Email address syntax")
struct EmailAddressTests {
    @Test(
        "valid addresses",
        arguments: ["a@b.co", "first.last@example.org", "x+tag@sub.example.com", "o'brien@example.ie",
                    "user@xn--bcher-kva.example", "åsa@exempel.se", "a-b_c@a-b.example.com", "1@example.com"]
    )
    func valid(address: String) {
        #expect(EmailAddress.isValid(address))
    }

    @Test(
        "invalid addresses",
        arguments: ["", "plain", "@example.com", "user@", "user@localhost", "user@@example.com", "a..b@example.com",
                    ".a@example.com", "a.@example.com", "user@-example.com", "user@example-.com", "user@example..com",
                    "user name@example.com", "user@exa mple.com", "user@example.123", "\"quoted\"@example.com",
                    "user@[127.0.0.1]", String(repeating: "a", count: 65) + "@example.com",
                    "a@" + String(repeating: "b", count: 64) + ".com", "a@b.c\u{0}"]
    )
    func invalid(address: String) {
        #expect(!EmailAddress.isValid(address))
    }

    /// The first implementation (arrays and splits), kept as the reference for the
    /// one-pass version.
    private static func reference(_ address: String) -> Bool {
        func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
        func isAlphanumeric(_ b: UInt8) -> Bool { isDigit(b) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
        let bytes = Array(address.utf8)
        guard bytes.count <= 254, let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { return false }
        let local = bytes[..<at], domain = bytes[(at + 1)...]
        guard (1...64).contains(local.count), !domain.isEmpty else { return false }
        for run in local.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard !run.isEmpty, run.allSatisfy({ $0 >= 0x80 || isAlphanumeric($0) || EmailAddress.localSymbols.contains($0) })
            else { return false }
        }
        let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        for label in labels {
            guard (1...63).contains(label.count), label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-"),
                  label.allSatisfy({ $0 >= 0x80 || isAlphanumeric($0) || $0 == UInt8(ascii: "-") })
            else { return false }
        }
        return !labels.last!.allSatisfy(isDigit)
    }

    @Test("the one-pass check agrees with the reference on 200,000 generated strings")
    func differential() {
        // Pieces that hit every branch: separators, symbols, digits, non-ASCII, spaces.
        let pieces = ["a", "Z", "0", "9", ".", "..", "@", "-", "_", "+", "'", "\"", " ", "é", "😀", "[", "]", "\u{0}",
                      "example", "com", "123", String(repeating: "x", count: 60), String(repeating: "y", count: 30)]
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        var valid = 0
        for _ in 0..<200_000 {
            var address = ""
            for _ in 0..<Int(next() % 12) { address += pieces[Int(next() % UInt64(pieces.count))] }
            if next() % 2 == 0 { address = "u" + address + "@d" + pieces[Int(next() % 3)] + ".com" }
            let expected = Self.reference(address)
            if expected { valid += 1 }
            #expect(EmailAddress.isValid(address) == expected, "\(address.debugDescription)")
        }
        // Both outcomes are well represented.
        #expect(valid > 10_000 && valid < 190_000)
    }
}
