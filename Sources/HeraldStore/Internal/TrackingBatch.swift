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

    init(db: Database, machineOpenWindow: Int64) {
        self.db = db
        self.machineOpenWindow = machineOpenWindow
    }

    /// The per-recipient record.
    private struct Record {
        var firstOpen: Int64?
        var firstHumanOpen: Int64?
        var openCount = 0
        var firstClick: Int64?
        var clickCount = 0
        var unsubscribed = false
        var hardBounced = false
        var softBounced = false
        var complained = false
    }

    mutating func apply(_ event: TrackingEvent) throws -> TrackingBatchResult.Outcome {
        guard let message = try Self.message(db, deliveryID: event.deliveryID, sequence: event.sequence) else {
            return .unknownMessage
        }
        var record = try record(event.deliveryID, event.sequence)
        var counts = try totals(event.deliveryID)
        let time = event.time.microsecondsSinceEpoch
        var machine = false
        var linkIndex: Int?
        var detail = ""
        var userAgent = ""
        switch event.kind {
        case .open(let agent, let flagged):
            userAgent = agent
            machine = flagged || message.sentTime.map { time - $0.microsecondsSinceEpoch <= machineOpenWindow } ?? false
            counts.totalOpens += 1
            record.openCount += 1
            if record.firstOpen == nil {
                record.firstOpen = time
                if machine {
                    counts.machineOpens += 1
                } else {
                    counts.opens += 1
                    record.firstHumanOpen = time
                }
            } else if !machine && record.firstHumanOpen == nil {
                counts.machineOpens -= 1
                counts.opens += 1
                record.firstHumanOpen = time
            }
        case .click(let index, let url, let agent):
            linkIndex = index
            detail = url
            userAgent = agent
            counts.totalClicks += 1
            record.clickCount += 1
            if record.firstClick == nil {
                record.firstClick = time
                counts.clicks += 1
            }
        case .bounce(let hard, let reason, let diagnostic):
            detail = "\(hard ? "hard" : "soft") \(reason.rawValue) \(diagnostic)"
            if hard {
                if !record.hardBounced {
                    record.hardBounced = true
                    counts.hardBounces += 1
                }
                try db.cachedStatement(sql: """
                    UPDATE messages SET status = 'FAILED', status_time = ?, failure_reason = ?, reply_text = ?
                    WHERE delivery_id = ? AND seq = ? AND status = 'SENT'
                    """).execute(arguments: [time, reason.rawValue, diagnostic, event.deliveryID, event.sequence])
                if db.changesCount > 0 { ledgerChanged.insert(event.deliveryID) }
                try db.cachedStatement(sql: "INSERT OR REPLACE INTO address_quarantine (address, reason, created_at) VALUES (?, ?, ?)")
                    .execute(arguments: [Self.folded(message.address), diagnostic.isEmpty ? reason.rawValue : diagnostic, time])
            } else if !record.softBounced {
                record.softBounced = true
                counts.softBounces += 1
            }
        case .unsubscribe(let method):
            detail = method
            if !record.unsubscribed {
                record.unsubscribed = true
                counts.unsubscribes += 1
            }
            try db.cachedStatement(sql: """
                UPDATE profiles SET subscription = 'UNSUBSCRIBED', updated_at = ? WHERE id = ? AND subscription = 'SUBSCRIBED'
                """).execute(arguments: [time, message.profileID])
        case .complaint(let feedbackType):
            detail = feedbackType
            if !record.complained {
                record.complained = true
                counts.complaints += 1
            }
        }
        try db.cachedStatement(sql: """
            INSERT INTO tracking_events (delivery_id, seq, kind, time, machine, link_index, detail, user_agent)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                event.deliveryID, event.sequence, event.kind.name, time, machine, linkIndex, detail, userAgent,
            ])
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO engagement (
                delivery_id, seq, first_open_time, first_human_open_time, open_count, first_click_time, click_count,
                unsubscribed, hard_bounced, soft_bounced, complained)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                event.deliveryID, event.sequence, record.firstOpen, record.firstHumanOpen, record.openCount, record.firstClick,
                record.clickCount, record.unsubscribed, record.hardBounced, record.softBounced, record.complained,
            ])
        if counts != totals[event.deliveryID] {
            totals[event.deliveryID] = counts
            changed.insert(event.deliveryID)
        }
        return .recorded
    }

    /// Writes the totals of the deliveries whose counts changed and returns them.
    func writeTotals() throws -> [String: EngagementCounts] {
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

    private mutating func totals(_ deliveryID: String) throws -> EngagementCounts {
        if let counts = totals[deliveryID] { return counts }
        let counts = try Self.totals(db, deliveryID: deliveryID)
        totals[deliveryID] = counts
        return counts
    }

    private func record(_ deliveryID: String, _ sequence: Int) throws -> Record {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: """
                SELECT first_open_time, first_human_open_time, open_count, first_click_time, click_count, unsubscribed,
                    hard_bounced, soft_bounced, complained
                FROM engagement WHERE delivery_id = ? AND seq = ?
                """),
            arguments: [deliveryID, sequence]
        ) else { return Record() }
        return Record(
            firstOpen: row[0], firstHumanOpen: row[1], openCount: row[2], firstClick: row[3], clickCount: row[4],
            unsubscribed: row[5], hardBounced: row[6], softBounced: row[7], complained: row[8]
        )
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
