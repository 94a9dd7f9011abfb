#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// What a composer computed for a chunk of bytes that recurs message after message (the
/// static parts of a delivery's template: a paragraph of text, a long tag), kept by its
/// bytes: a chunk seen a second time is remembered, a third sighting reuses the result.
///
/// A value depends on nothing but its chunk's bytes, so a hit gives exactly what computing
/// it again would: the output never depends on what the cache holds (a composer's
/// messages are the same bytes whichever messages it composed before).
///
/// One per ``MailComposer`` (one per delivery in heraldd), shared by the tasks composing
/// its messages: a `Mutex` around a dictionary by fingerprint, the key compared whole
/// before a value is used.
final class ChunkCache<Value: Sendable>: Sendable {
    /// One remembered chunk.
    struct Entry: Sendable {
        let key: [UInt8]
        let value: Value
    }

    /// What a lookup found.
    enum Lookup {
        /// The value computed for these bytes before.
        case hit(Value)
        /// Not remembered; `admit` when the value computed now should be offered with
        /// ``insert(_:fingerprint:_:)`` (the chunk was seen before).
        case miss(admit: Bool, fingerprint: UInt64)
    }

    private struct State: Sendable {
        var entries: [UInt64: Entry] = [:]
        /// The bytes the entries hold (keys and values).
        var bytes = 0
        /// Fingerprints of chunks seen once.
        var candidates: Set<UInt64> = []
    }

    /// The most chunks remembered (the first ones win: a delivery's static chunks recur
    /// from its first messages on).
    static var capacity: Int { 512 }
    /// The most bytes the remembered chunks hold, keys and values (a composer per recent
    /// delivery is kept: this bounds their memory whatever the templates are).
    static var byteCapacity: Int { 512 * 1024 }
    /// The most fingerprints of chunks seen once kept (then forgotten all at once).
    static var candidateCapacity: Int { 4_096 }
    /// The shortest chunk worth a lookup.
    static var minimumCount: Int { 32 }

    private let state = Mutex(State())

    init() {}

    /// How many chunks are remembered.
    var count: Int { state.withLock { $0.entries.count } }

    /// The value remembered for `key` (at least ``minimumCount`` bytes), or whether to
    /// remember the one computed now.
    func lookup(_ key: UnsafeBufferPointer<UInt8>) -> Lookup {
        let fingerprint = Self.fingerprint(key)
        return state.withLock { state -> Lookup in
            if let entry = state.entries[fingerprint] {
                let same = entry.key.count == key.count && entry.key.withUnsafeBufferPointer { stored in
                    guard let a = stored.baseAddress, let b = key.baseAddress else { return stored.isEmpty && key.isEmpty }
                    return memcmp(a, b, key.count) == 0
                }
                // Another chunk with the same fingerprint: computed, never remembered.
                return same ? .hit(entry.value) : .miss(admit: false, fingerprint: fingerprint)
            }
            guard state.entries.count < Self.capacity, state.bytes < Self.byteCapacity else {
                return .miss(admit: false, fingerprint: fingerprint)
            }
            if state.candidates.remove(fingerprint) != nil { return .miss(admit: true, fingerprint: fingerprint) }
            if state.candidates.count >= Self.candidateCapacity { state.candidates.removeAll(keepingCapacity: true) }
            state.candidates.insert(fingerprint)
            return .miss(admit: false, fingerprint: fingerprint)
        }
    }

    /// Remembers the value computed for `key` after a lookup that said `admit`; `size`
    /// is the bytes the value holds.
    func insert(_ key: UnsafeBufferPointer<UInt8>, fingerprint: UInt64, _ value: Value, size: Int) {
        let cost = key.count + size
        guard cost <= Self.byteCapacity else { return }
        let entry = Entry(key: Array(key), value: value)
        state.withLock { state in
            guard state.entries.count < Self.capacity, state.bytes + cost <= Self.byteCapacity, state.entries[fingerprint] == nil
            else { return }
            state.entries[fingerprint] = entry
            state.bytes += cost
        }
    }

    /// The count and three words of the chunk (first, middle, last), mixed.
    static func fingerprint(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        guard let base = key.baseAddress, key.count >= 8 else { return UInt64(key.count) }
        let raw = UnsafeRawPointer(base)
        let first = raw.loadUnaligned(as: UInt64.self)
        let middle = raw.loadUnaligned(fromByteOffset: (key.count - 8) / 2, as: UInt64.self)
        let last = raw.loadUnaligned(fromByteOffset: key.count - 8, as: UInt64.self)
        var h = UInt64(key.count) &* 0x9E37_79B9_7F4A_7C15
        h = (h ^ first) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 29) ^ middle) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 29) ^ last) &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 31)
    }
}
