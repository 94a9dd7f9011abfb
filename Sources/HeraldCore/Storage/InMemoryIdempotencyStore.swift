/// An ``IdempotencyStore`` in memory, for unit tests.
public actor InMemoryIdempotencyStore: IdempotencyStore {
    private struct Key: Hashable {
        var requestID: String
        var method: String
    }

    private var records: [Key: (result: [UInt8], time: Timestamp)] = [:]

    /// Creates an empty store.
    public init() {}

    public func idempotentResult(requestID: String, method: String) -> [UInt8]? {
        records[Key(requestID: requestID, method: method)]?.result
    }

    public func recordIdempotentResult(requestID: String, method: String, result: [UInt8], at time: Timestamp) -> [UInt8] {
        let key = Key(requestID: requestID, method: method)
        if let existing = records[key] { return existing.result }
        records[key] = (result, time)
        return result
    }

    public func purgeIdempotencyRecords(before time: Timestamp) -> Int {
        let old = records.filter { $0.value.time < time }.map(\.key)
        for key in old { records[key] = nil }
        return old.count
    }
}
