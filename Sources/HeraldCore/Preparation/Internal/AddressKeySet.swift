/// A set of ``AddressKey``s for the duplicate check: open addressing with linear
/// probing, indexed by the key's own bits (a key is already a strong hash, so no
/// `Hasher` runs per address). 16 bytes a slot, at most two thirds full; the two words
/// of a slot are side by side, so a probe of a large set costs one cache miss.
struct AddressKeySet {
    /// Slot `s` is `words[2 * s]` (high) and `words[2 * s + 1]` (low); (0, 0) is empty.
    private var words: [UInt64]
    /// Whether the key (0, 0) is in the set (it marks an empty slot).
    private var hasZero = false
    private(set) var count = 0
    /// The number of slots (a power of two).
    private var slots: Int { words.count / 2 }

    /// Creates a set with room for `minimumCapacity` keys before it grows.
    init(minimumCapacity: Int) {
        var size = 16
        while size * 2 < minimumCapacity * 3 { size <<= 1 }
        words = [UInt64](repeating: 0, count: size * 2)
    }

    /// Adds `key`; returns whether it was not in the set yet.
    mutating func insert(_ key: AddressKey) -> Bool {
        if key.high == 0 && key.low == 0 {
            defer { hasZero = true }
            if !hasZero { count += 1 }
            return !hasZero
        }
        if (count + 1) * 3 > slots * 2 { grow() }
        let mask = slots - 1
        var slot = Int(truncatingIfNeeded: key.low) & mask
        let inserted = words.withUnsafeMutableBufferPointer { words -> Bool in
            while true {
                let high = words[2 * slot], low = words[2 * slot + 1]
                if high == 0 && low == 0 {
                    words[2 * slot] = key.high
                    words[2 * slot + 1] = key.low
                    return true
                }
                if high == key.high && low == key.low { return false }
                slot = (slot + 1) & mask
            }
        }
        if inserted { count += 1 }
        return inserted
    }

    private mutating func grow() {
        let old = words
        words = [UInt64](repeating: 0, count: old.count * 2)
        let mask = slots - 1
        for s in 0..<(old.count / 2) where old[2 * s] != 0 || old[2 * s + 1] != 0 {
            var slot = Int(truncatingIfNeeded: old[2 * s + 1]) & mask
            while words[2 * slot] != 0 || words[2 * slot + 1] != 0 { slot = (slot + 1) & mask }
            words[2 * slot] = old[2 * s]
            words[2 * slot + 1] = old[2 * s + 1]
        }
    }
}
