/// Small deterministic hashing helpers (stable across runs and platforms, unlike
/// `Hasher`): control groups must be reproducible from their seed.
enum Mix {
    /// SplitMix64's finalizer: a bijective avalanche of 64 bits.
    static func splitMix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// FNV-1a 64 of the UTF-8 bytes, mixed.
    static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return splitMix(h)
    }
}
