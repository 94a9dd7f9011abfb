@testable import HeraldCore
import Testing

/// The data structures of the preparation's hot loops, against their plain equivalents.
@Suite("Preparation data structures")
struct PreparationStructureTests {
    /// A deterministic generator (SplitMix64).
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            return Mix.splitMix(state)
        }
    }

    @Test("Selection.smallest equals sorted().prefix() for every count, with ties on the score")
    func selection() {
        var g = Generator(state: 7)
        for size in [0, 1, 2, 3, 10, 100, 1_000, 20_000] {
            // Few distinct scores for the small lists (ties are ordered by index).
            let range: UInt64 = size < 200 ? 8 : .max
            let pairs: [Selection.Scored] = (0..<size).map { (UInt64.random(in: 0...range, using: &g), $0) }.shuffled(using: &g)
            let sorted = pairs.sorted { ($0.score, $0.index) < ($1.score, $1.index) }
            let counts = Set([0, 1, size / 20, size / 2, max(0, size - 1), size, size + 5])
            for count in counts {
                let chosen = Selection.smallest(count, of: pairs)
                #expect(chosen.map(\.index) == sorted.prefix(count).map(\.index), "size \(size), count \(count)")
            }
        }
    }

    @Test("AddressKeySet finds duplicates as a Set does, through growth and with the zero key")
    func addressKeySet() {
        var set = AddressKeySet(minimumCapacity: 4)
        var reference = Set<AddressKey>()
        var g = Generator(state: 11)
        for i in 0..<50_000 {
            // About one address in four repeats an earlier one, in another letter case.
            let n = i % 4 == 0 ? Int.random(in: 0...max(0, i / 2), using: &g) : i
            let address = i % 8 == 0 ? "USER\(n)@Example.COM" : "user\(n)@example.com"
            let key = AddressKey(address)
            let inserted = set.insert(key), expected = reference.insert(key).inserted
            #expect(inserted == expected, "address \(address)")
        }
        let zero = AddressKey(high: 0, low: 0)
        let first = set.insert(zero), second = set.insert(zero)
        #expect(first && !second)
        #expect(set.count == reference.count + 1)
    }
}
