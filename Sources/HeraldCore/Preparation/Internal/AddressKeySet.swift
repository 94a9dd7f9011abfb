/// A set of ``AddressKey``s for the duplicate check: open addressing with linear
/// probing, indexed by the key's own bits (a key is already a strong hash, so no
/// `Hasher` runs per address). 16 bytes a slot, at most two thirds full.
struct AddressKeySet {
    private var highs: [UInt64]
    private var lows: [UInt64]
    /// Whether the key (0, 0) is in the set (it marks an empty slot).
    private var hasZero = false
    private(set) var count = 0

    /// Creates a set with room for `minimumCapacity` keys before it grows.
    init(minimumCapacity: Int) {
        var size = 16
        while size * 2 < minimumCapacity * 3 { size <<= 1 }
        highs = [UInt64](repeating: 0, count: size)
        lows = [UInt64](repeating: 0, count: size)
    }

    /// Adds `key`; returns whether it was not in the set yet.
    mutating func insert(_ key: AddressKey) -> Bool {
        if key.high == 0 && key.low == 0 {
            defer { hasZero = true }
            if !hasZero { count += 1 }
            return !hasZero
        }
        if (count + 1) * 3 > highs.count * 2 { grow() }
        let mask = highs.count - 1
        var slot = Int(truncatingIfNeeded: key.low) & mask
        while true {
            let high = highs[slot], low = lows[slot]
            if high == 0 && low == 0 {
                highs[slot] = key.high
                lows[slot] = key.low
                count += 1
                return true
            }
            if high == key.high && low == key.low { return false }
            slot = (slot + 1) & mask
        }
    }

    private mutating func grow() {
        let oldHighs = highs, oldLows = lows
        highs = [UInt64](repeating: 0, count: oldHighs.count * 2)
        lows = [UInt64](repeating: 0, count: oldHighs.count * 2)
        let mask = highs.count - 1
        for i in oldHighs.indices where oldHighs[i] != 0 || oldLows[i] != 0 {
            var slot = Int(truncatingIfNeeded: oldLows[i]) & mask
            while highs[slot] != 0 || lows[slot] != 0 { slot = (slot + 1) & mask }
            highs[slot] = oldHighs[i]
            lows[slot] = oldLows[i]
        }
    }
}
