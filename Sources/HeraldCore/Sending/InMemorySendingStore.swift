/// A ``SendingStore`` in memory, for unit tests: the ledger rows are given with
/// ``load(_:)`` (typically what a preparation wrote).
public actor InMemorySendingStore: SendingStore {
    private var ledgers: [String: [Int: LedgerEntry]] = [:]
    /// Every update applied, in order (tests inspect the group commits).
    public private(set) var appliedGroups: [[LedgerUpdate]] = []

    /// Creates an empty store.
    public init() {}

    /// Adds ledger rows (their current status is kept).
    public func load(_ messages: [PreparedMessage]) {
        for message in messages {
            ledgers[message.deliveryID, default: [:]][message.sequence] = LedgerEntry(message: message)
        }
    }

    public func pendingEntries(deliveryID: String, after: Int, limit: Int) -> [LedgerEntry] {
        Array(
            (ledgers[deliveryID] ?? [:]).values.filter { $0.message.status == .pending && $0.message.sequence > after }
                .sorted { $0.message.sequence < $1.message.sequence }
                .prefix(max(0, limit))
        )
    }

    public func recordRetry(
        deliveryID: String, sequence: Int, attempts: Int, reply: String, at time: Timestamp, nextAttempt: Timestamp
    ) {
        apply(.retry(sequence: sequence, attempts: attempts, reply: reply, time: time, nextAttempt: nextAttempt), deliveryID)
    }

    @discardableResult
    public func markSent(deliveryID: String, sequence: Int, attempts: Int, reply: String, at time: Timestamp) -> Bool {
        apply(.sent(sequence: sequence, attempts: attempts, reply: reply, time: time), deliveryID)
    }

    @discardableResult
    public func markFailed(
        deliveryID: String, sequence: Int, reason: MessageFailureReason, attempts: Int, reply: String, at time: Timestamp
    ) -> Bool {
        apply(.failed(sequence: sequence, reason: reason, attempts: attempts, reply: reply, time: time), deliveryID)
    }

    public func applyLedgerUpdates(_ updates: [LedgerUpdate], deliveryID: String) {
        appliedGroups.append(updates)
        for update in updates { apply(update, deliveryID) }
    }

    public func softFailureCount(address: String, since: Timestamp) -> Int {
        let wanted = Self.folded(address)
        return ledgers.values.reduce(0) { total, rows in
            total + rows.values.filter { entry in
                entry.message.status == .failed && (entry.failureReason?.isSoft ?? false)
                    && (entry.message.statusTime ?? .epoch) >= since && Self.folded(entry.message.address) == wanted
            }.count
        }
    }

    public func cancelPending(deliveryID: String, at time: Timestamp) -> Int {
        var count = 0
        for (sequence, entry) in ledgers[deliveryID] ?? [:] where entry.message.status == .pending {
            ledgers[deliveryID]?[sequence]?.message.status = .cancelled
            ledgers[deliveryID]?[sequence]?.message.statusTime = time
            count += 1
        }
        return count
    }

    public func sendingCounts(deliveryID: String) -> SendingCounts {
        var counts = SendingCounts()
        for entry in (ledgers[deliveryID] ?? [:]).values {
            switch entry.message.status {
            case .pending: counts.pending += 1
            case .sent: counts.sent += 1
            case .failed: counts.failed += 1
            case .cancelled: counts.cancelled += 1
            }
        }
        return counts
    }

    public func listLedger(
        deliveryID: String, statuses: Set<PreparedMessage.Status>?, after: String?, limit: Int
    ) throws -> Page<LedgerEntry> {
        guard let start = after.map({ Int($0) }) ?? 0, start >= 0 else {
            throw HeraldError.invalidArgument("invalid page token '\(after ?? "")'")
        }
        let matching = (ledgers[deliveryID] ?? [:]).values
            .filter { $0.message.sequence > start && (statuses?.contains($0.message.status) ?? true) }
            .sorted { $0.message.sequence < $1.message.sequence }
        let items = Array(matching.prefix(max(0, limit)))
        return Page(items: items, nextCursor: matching.count > items.count ? items.last.map { String($0.message.sequence) } : nil)
    }

    @discardableResult
    private func apply(_ update: LedgerUpdate, _ deliveryID: String) -> Bool {
        guard var entry = ledgers[deliveryID]?[update.sequence], entry.message.status == .pending else { return false }
        switch update {
        case .sent(_, let attempts, let reply, let time):
            entry.message.status = .sent
            entry.message.statusTime = time
            entry.sentTime = time
            entry.lastAttemptTime = time
            entry.nextAttemptTime = nil
            entry.attempts = attempts
            entry.replyText = reply
        case .failed(_, let reason, let attempts, let reply, let time):
            entry.message.status = .failed
            entry.message.statusTime = time
            entry.failureReason = reason
            if attempts > 0 { entry.lastAttemptTime = time }
            entry.nextAttemptTime = nil
            entry.attempts = attempts
            entry.replyText = reply
        case .retry(_, let attempts, let reply, let time, let nextAttempt):
            entry.attempts = attempts
            entry.replyText = reply
            entry.lastAttemptTime = time
            entry.nextAttemptTime = nextAttempt
        }
        ledgers[deliveryID]?[update.sequence] = entry
        return true
    }

    private static func folded(_ text: String) -> String {
        String(decoding: text.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }
}
