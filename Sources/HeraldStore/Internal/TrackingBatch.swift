internal import GRDB
import HeraldCore

/// Applies the events of one ``SQLiteStore/recordTrackingEvents(_:machineOpenWindowSeconds:)``
/// batch inside its write transaction.
struct TrackingBatch {
    let db: Database
    /// The machine-open window, in microseconds.
    let machineOpenWindow: Int64
    /// Each touched delivery's counts, loaded on first use and moved by each event.
    private var totals: [String: EngagementCounts] = [:]
    private var changed: Set<String> = []
    private(set) var ledgerChanged: Set<String> = []
    /// Each recipient the batch touched: its send time and record, taken once from the
    /// ``TrackingRecipientCache`` or else read (one indexed lookup of the ledger row
    /// joined with its engagement row), moved by each of its events, written back once
    /// by ``finish()``. The transaction is the only writer of
    /// `engagement`, so the record read at the first event stays exact for the batch.
    private var recipients: [RecipientKey: Recipient] = [:]
    private let lookup: RawStatement
    private let insertEvent: RawStatement
    private let writeRecord: RawStatement
    private let cache: TrackingRecipientCache

    private struct RecipientKey: Hashable {
        var deliveryID: String
        var sequence: Int
    }

    private struct Recipient {
        var sentTime: Int64?
        var record: Record
    }

    init(db: Database, machineOpenWindow: Int64, cache: TrackingRecipientCache) throws {
        self.db = db
        self.machineOpenWindow = machineOpenWindow
        self.cache = cache
        lookup = RawStatement(try db.cachedStatement(sql: """
            SELECT m.sent_time, e.first_open_time, e.first_human_open_time, e.open_count, e.first_click_time, e.click_count,
                e.unsubscribed, e.hard_bounced, e.soft_bounced, e.complained
            FROM messages m LEFT JOIN engagement e ON e.delivery_id = m.delivery_id AND e.seq = m.seq
            WHERE m.delivery_id = ? AND m.seq = ?
            """))
        insertEvent = RawStatement(try db.cachedStatement(sql: """
            INSERT INTO tracking_events (delivery_id, seq, kind, time, machine, link_index, detail, user_agent)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """))
        writeRecord = RawStatement(try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO engagement (
                delivery_id, seq, first_open_time, first_human_open_time, open_count, first_click_time, click_count,
                unsubscribed, hard_bounced, soft_bounced, complained)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """))
    }

    /// The per-recipient record.
    struct Record: Sendable {
        var firstOpen: Int64?
        var firstHumanOpen: Int64?
        var openCount: Int64 = 0
        var firstClick: Int64?
        var clickCount: Int64 = 0
        var unsubscribed = false
        var hardBounced = false
        var softBounced = false
        var complained = false
    }

    mutating func apply(_ event: TrackingEvent) throws -> TrackingBatchResult.Outcome {
        let key = RecipientKey(deliveryID: event.deliveryID, sequence: event.sequence)
        guard var recipient = try recipients[key] ?? recipient(key) else { return .unknownMessage }
        var counts = try totals(event.deliveryID)
        let time = event.time.microsecondsSinceEpoch
        var machine = false
        var linkIndex: Int?
        var detail = ""
        var userAgent = ""
        switch event.kind {
        case .open(let agent, let flagged):
            userAgent = agent
            machine = flagged || recipient.sentTime.map { time - $0 <= machineOpenWindow } ?? false
            counts.totalOpens += 1
            recipient.record.openCount += 1
            if recipient.record.firstOpen == nil {
                recipient.record.firstOpen = time
                if machine {
                    counts.machineOpens += 1
                } else {
                    counts.opens += 1
                    recipient.record.firstHumanOpen = time
                }
            } else if !machine && recipient.record.firstHumanOpen == nil {
                counts.machineOpens -= 1
                counts.opens += 1
                recipient.record.firstHumanOpen = time
            }
        case .click(let index, let url, let agent):
            linkIndex = index
            detail = url
            userAgent = agent
            counts.totalClicks += 1
            recipient.record.clickCount += 1
            if recipient.record.firstClick == nil {
                recipient.record.firstClick = time
                counts.clicks += 1
            }
        case .bounce(let hard, let reason, let diagnostic):
            detail = "\(hard ? "hard" : "soft") \(reason.rawValue) \(diagnostic)"
            if hard {
                if !recipient.record.hardBounced {
                    recipient.record.hardBounced = true
                    counts.hardBounces += 1
                }
                try db.cachedStatement(sql: """
                    UPDATE messages SET status = 'FAILED', status_time = ?, failure_reason = ?, reply_text = ?
                    WHERE delivery_id = ? AND seq = ? AND status = 'SENT'
                    """).execute(arguments: [time, reason.rawValue, diagnostic, event.deliveryID, event.sequence])
                if db.changesCount > 0 { ledgerChanged.insert(event.deliveryID) }
                if let message = try Self.message(db, deliveryID: event.deliveryID, sequence: event.sequence) {
                    try db.cachedStatement(sql: "INSERT OR REPLACE INTO address_quarantine (address, reason, created_at) VALUES (?, ?, ?)")
                        .execute(arguments: [Self.folded(message.address), diagnostic.isEmpty ? reason.rawValue : diagnostic, time])
                }
            } else if !recipient.record.softBounced {
                recipient.record.softBounced = true
                counts.softBounces += 1
            }
        case .unsubscribe(let method):
            detail = method
            if !recipient.record.unsubscribed {
                recipient.record.unsubscribed = true
                counts.unsubscribes += 1
            }
            if let message = try Self.message(db, deliveryID: event.deliveryID, sequence: event.sequence) {
                try db.cachedStatement(sql: """
                    UPDATE profiles SET subscription = 'UNSUBSCRIBED', updated_at = ? WHERE id = ? AND subscription = 'SUBSCRIBED'
                    """).execute(arguments: [time, message.profileID])
            }
        case .complaint(let feedbackType):
            detail = feedbackType
            if !recipient.record.complained {
                recipient.record.complained = true
                counts.complaints += 1
            }
        }
        try insertEvent.bind(1, event.deliveryID)
        try insertEvent.bind(2, Int64(event.sequence))
        try insertEvent.bind(3, event.kind.name)
        try insertEvent.bind(4, time)
        try insertEvent.bind(5, machine ? 1 : 0)
        if let linkIndex { try insertEvent.bind(6, Int64(linkIndex)) } else { try insertEvent.bindNull(6) }
        try insertEvent.bind(7, detail)
        try insertEvent.bind(8, userAgent)
        try insertEvent.run()
        recipients[key] = recipient
        if counts != totals[event.deliveryID] {
            totals[event.deliveryID] = counts
            changed.insert(event.deliveryID)
        }
        return .recorded
    }

    /// Writes the record of every recipient the batch touched and the totals of the
    /// deliveries whose counts changed; returns those totals. The recipients with a send
    /// time go into the cache once the transaction commits.
    func finish() throws -> [String: EngagementCounts] {
        var committed: [(deliveryID: String, sequence: Int, entry: TrackingRecipientCache.Entry)] = []
        committed.reserveCapacity(recipients.count)
        for (key, recipient) in recipients {
            if let sentTime = recipient.sentTime {
                committed.append((key.deliveryID, key.sequence, TrackingRecipientCache.Entry(sentTime: sentTime, record: recipient.record)))
            }
            let r = recipient.record
            try writeRecord.bind(1, key.deliveryID)
            try writeRecord.bind(2, Int64(key.sequence))
            try bind(writeRecord, 3, r.firstOpen)
            try bind(writeRecord, 4, r.firstHumanOpen)
            try writeRecord.bind(5, r.openCount)
            try bind(writeRecord, 6, r.firstClick)
            try writeRecord.bind(7, r.clickCount)
            try writeRecord.bind(8, r.unsubscribed ? 1 : 0)
            try writeRecord.bind(9, r.hardBounced ? 1 : 0)
            try writeRecord.bind(10, r.softBounced ? 1 : 0)
            try writeRecord.bind(11, r.complained ? 1 : 0)
            try writeRecord.run()
        }
        if !committed.isEmpty {
            db.afterNextTransaction(onCommit: { [cache, committed] _ in cache.store(committed) })
        }
        var result: [String: EngagementCounts] = [:]
        for deliveryID in changed {
            guard let c = totals[deliveryID] else { continue }
            try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO engagement_totals (
                    delivery_id, opens, machine_opens, total_opens, clicks, total_clicks, unsubscribes, hard_bounces,
                    soft_bounces, complaints)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [
                    deliveryID, c.opens, c.machineOpens, c.totalOpens, c.clicks, c.totalClicks, c.unsubscribes, c.hardBounces,
                    c.softBounces, c.complaints,
                ])
            result[deliveryID] = c
        }
        return result
    }

    private func bind(_ statement: RawStatement, _ index: Int32, _ value: Int64?) throws {
        if let value { try statement.bind(index, value) } else { try statement.bindNull(index) }
    }

    private mutating func totals(_ deliveryID: String) throws -> EngagementCounts {
        if let counts = totals[deliveryID] { return counts }
        let counts = try Self.totals(db, deliveryID: deliveryID)
        totals[deliveryID] = counts
        return counts
    }

    /// The ledger row's send time and the engagement record of a recipient (cached, else
    /// read), or nil when no ledger row has this key.
    private func recipient(_ key: RecipientKey) throws -> Recipient? {
        if let cached = cache.entry(deliveryID: key.deliveryID, sequence: key.sequence) {
            return Recipient(sentTime: cached.sentTime, record: cached.record)
        }
        try lookup.bind(1, key.deliveryID)
        try lookup.bind(2, Int64(key.sequence))
        defer { lookup.reset() }
        guard try lookup.step() else { return nil }
        let record = Record(
            firstOpen: lookup.optionalInt64(1), firstHumanOpen: lookup.optionalInt64(2), openCount: lookup.int64(3),
            firstClick: lookup.optionalInt64(4), clickCount: lookup.int64(5), unsubscribed: lookup.int64(6) != 0,
            hardBounced: lookup.int64(7) != 0, softBounced: lookup.int64(8) != 0, complained: lookup.int64(9) != 0
        )
        return Recipient(sentTime: lookup.optionalInt64(0), record: record)
    }

    static func message(_ db: Database, deliveryID: String, sequence: Int) throws -> TrackedMessage? {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT profile_id, address, status, sent_time FROM messages WHERE delivery_id = ? AND seq = ?"),
            arguments: [deliveryID, sequence]
        ) else { return nil }
        let status: String = row[2]
        guard let parsed = PreparedMessage.Status(rawValue: status) else {
            throw HeraldError.internal("stored message has an unknown status '\(status)'")
        }
        let sent: Int64? = row[3]
        return TrackedMessage(
            deliveryID: deliveryID, sequence: sequence, profileID: row[0], address: row[1], status: parsed,
            sentTime: sent.map { Timestamp(microsecondsSinceEpoch: $0) }
        )
    }

    static func totals(_ db: Database, deliveryID: String) throws -> EngagementCounts {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: """
                SELECT opens, machine_opens, total_opens, clicks, total_clicks, unsubscribes, hard_bounces, soft_bounces, complaints
                FROM engagement_totals WHERE delivery_id = ?
                """),
            arguments: [deliveryID]
        ) else { return EngagementCounts() }
        return EngagementCounts(
            opens: row[0], machineOpens: row[1], totalOpens: row[2], clicks: row[3], totalClicks: row[4], unsubscribes: row[5],
            hardBounces: row[6], softBounces: row[7], complaints: row[8]
        )
    }

    /// An address with ASCII letters in lower case, as quarantines are keyed.
    static func folded(_ address: String) -> String {
        String(decoding: address.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }
}
