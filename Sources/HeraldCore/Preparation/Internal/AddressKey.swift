/// The identity of an email address for duplicates and quarantines: compared with ASCII
/// letters folded to lower case (mailbox providers treat local parts case-insensitively
/// in practice; other bytes compare exactly).
///
/// A key is a 128-bit hash of the folded address: holding the keys of a million
/// targeted addresses costs about 16 MB, and two different addresses collide with
/// probability about n²/2¹²⁹ (negligible).
struct AddressKey: Hashable, Sendable {
    let high: UInt64
    let low: UInt64

    init(_ address: String) {
        // Two FNV-1a passes with different offset bases, each finished by a strong mixer.
        var h1: UInt64 = 0xcbf2_9ce4_8422_2325, h2: UInt64 = 0x6c62_272e_07bb_0142
        for var b in address.utf8 {
            if b >= 65 && b <= 90 { b += 32 }
            h1 = (h1 ^ UInt64(b)) &* 0x0000_0100_0000_01b3
            h2 = (h2 ^ UInt64(b)) &* 0x0000_0100_0000_01b3 ^ (h2 >> 29)
        }
        high = Mix.splitMix(h1)
        low = Mix.splitMix(h2 ^ 0x9e37_79b9_7f4a_7c15)
    }

    /// A key from its two words.
    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The address with ASCII letters folded to lower case.
    static func normalized(_ address: String) -> String {
        String(decoding: address.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }
}
