import Foundation
import HeraldCore
@testable import HeraldStore
import Logging
import Testing

/// The ledger as sending moves it: updates applied through the store's raw statements
/// read back exactly as the in-memory reference applies them, small back-to-back group
/// commits keep the write-ahead log bounded and checkpointed, and survive reopening.
@Suite("SQLiteStore as a SendingStore")
struct SQLiteStoreSendingTests {
    static let t0 = Timestamp(seconds: 1_767_225_600)

    static func messages(_ deliveryID: String, _ count: Int) -> [PreparedMessage] {
        (1...count).map { i in
            PreparedMessage(
                deliveryID: deliveryID, sequence: i, profileID: "p\(i)", address: "user\(i)@example.com", trackingID: "\(deliveryID).\(i)"
            )
        }
    }

    /// Every kind of update, texts empty, ASCII and not, some aimed at rows already moved.
    static func updates(_ round: Int) -> [LedgerUpdate] {
        let time = t0.adding(seconds: Int64(round))
        return [
            .sent(sequence: 1, attempts: 1, reply: "250 2.0.0 Ok: queued as 4F2A", time: time),
            .failed(sequence: 2, reason: .userUnknown, attempts: 1, reply: "550 5.1.1 unknown ✉", time: time),
            .failed(sequence: 3, reason: .quarantined, attempts: 0, reply: "", time: time),
            .retry(sequence: 4, attempts: round + 1, reply: "451 4.3.0 try later", time: time, nextAttempt: time.adding(seconds: 60)),
            .retry(sequence: 5, attempts: 1, reply: "", time: time, nextAttempt: time.adding(seconds: 5)),
            // Row 1 is SENT after round 0: neither moves it again.
            .failed(sequence: 1, reason: .mailboxFull, attempts: 2, reply: "552 full", time: time),
            .sent(sequence: 2, attempts: 2, reply: "250 late", time: time),
            // No such row.
            .sent(sequence: 99, attempts: 1, reply: "250", time: time),
        ]
    }

    @Test("updates of every kind read back as the in-memory store applies them; only PENDING rows move")
    func updatesMatchTheReference() async throws {
        try await withTemporaryStore { store, _ in
            let reference = InMemorySendingStore()
            let rows = Self.messages("d", 8) + Self.messages("other", 3)
            try await store.appendMessages(rows)
            await reference.load(rows)
            for round in 0..<3 {
                try await store.applyLedgerUpdates(Self.updates(round), deliveryID: "d")
                await reference.applyLedgerUpdates(Self.updates(round), deliveryID: "d")
            }
            // The single-row methods share the statements and say whether the row moved.
            #expect(try await store.markSent(deliveryID: "d", sequence: 6, attempts: 3, reply: "250 ok é", at: Self.t0))
            #expect(try await !store.markSent(deliveryID: "d", sequence: 6, attempts: 4, reply: "250 again", at: Self.t0))
            #expect(try await store.markFailed(deliveryID: "d", sequence: 7, reason: .expired, attempts: 0, reply: "late", at: Self.t0))
            #expect(try await !store.markFailed(deliveryID: "d", sequence: 1, reason: .other, attempts: 1, reply: "", at: Self.t0))
            try await store.recordRetry(deliveryID: "d", sequence: 8, attempts: 2, reply: "421", at: Self.t0, nextAttempt: Self.t0.adding(seconds: 9))
            await reference.markSent(deliveryID: "d", sequence: 6, attempts: 3, reply: "250 ok é", at: Self.t0)
            await reference.markFailed(deliveryID: "d", sequence: 7, reason: .expired, attempts: 0, reply: "late", at: Self.t0)
            await reference.recordRetry(deliveryID: "d", sequence: 8, attempts: 2, reply: "421", at: Self.t0, nextAttempt: Self.t0.adding(seconds: 9))

            for deliveryID in ["d", "other"] {
                let stored = try await store.listLedger(deliveryID: deliveryID, statuses: nil, after: nil, limit: 100).items
                let expected = try await reference.listLedger(deliveryID: deliveryID, statuses: nil, after: nil, limit: 100).items
                #expect(stored == expected)
                #expect(try await store.sendingCounts(deliveryID: deliveryID) == reference.sendingCounts(deliveryID: deliveryID))
            }
            let first = try await store.listLedger(deliveryID: "d", statuses: nil, after: nil, limit: 5).items
            #expect(first.map(\.message.status) == [.sent, .failed, .failed, .pending, .pending])
            #expect(first[0].replyText == "250 2.0.0 Ok: queued as 4F2A" && first[0].sentTime == Self.t0)
            #expect(first[2].lastAttemptTime == nil && first[2].failureReason == .quarantined)
            #expect(first[3].attempts == 3 && first[3].nextAttemptTime == Self.t0.adding(seconds: 62))
            // The other delivery's rows with the same sequences are untouched.
            #expect(try await store.sendingCounts(deliveryID: "other") == SendingCounts(pending: 3))
        }
    }

    @Test("a failing group commit applies none of its updates")
    func failedGroupIsRolledBack() async throws {
        try await withTemporaryStore { store, _ in
            try await store.appendMessages(Self.messages("d", 4))
            // A trigger makes the third update fail: the first two must not stay applied.
            _ = try await store.write("test trigger") { db in
                try db.execute(sql: """
                    CREATE TRIGGER refuse_three BEFORE UPDATE ON messages WHEN OLD.seq = 3
                    BEGIN SELECT RAISE(ABORT, 'refused'); END
                    """)
            }
            let updates = (1...4).map { LedgerUpdate.sent(sequence: $0, attempts: 1, reply: "250", time: Self.t0) }
            await #expect(throws: HeraldError.self) { try await store.applyLedgerUpdates(updates, deliveryID: "d") }
            #expect(try await store.sendingCounts(deliveryID: "d") == SendingCounts(pending: 4))
        }
    }

    @Test("thousands of small group commits keep the log bounded and checkpointed; the updates survive reopening")
    func smallCommitsCheckpointed() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        var configuration = SQLiteStore.Configuration.defaults
        configuration.walLimitBytes = 8 << 20
        var store = try SQLiteStore(path: directory.databasePath, configuration: configuration, logger: Logger(label: "test"))
        let count = 20_000
        for start in stride(from: 0, to: count, by: 5_000) {
            try await store.appendMessages((start + 1...start + 5_000).map { i in
                PreparedMessage(deliveryID: "d", sequence: i, profileID: "p\(i % 977)", address: "u\(i)@example.com", trackingID: "d.\(i)")
            })
        }
        let limit = store.checkpointer.maxLogFrames
        let checkpointsBefore = store.checkpointer.checkpointCount
        // 5,000 commits of 4 updates, one at a time as the engine's group commit makes them.
        var largest = 0
        for first in stride(from: 1, through: count, by: 4) {
            let updates = (first..<first + 4).map { LedgerUpdate.sent(sequence: $0, attempts: 1, reply: "250 2.0.0 Ok \($0)", time: Self.t0) }
            try await store.applyLedgerUpdates(updates, deliveryID: "d")
            largest = max(largest, store.checkpointer.framesAfterLastCommit)
        }
        store.checkpointer.waitUntilIdle()
        let checkpoints = store.checkpointer.checkpointCount - checkpointsBefore
        // Checkpointed as the frames accumulate, not after every commit (that ran one per
        // ~11 commits of 4 rows: over 400 here), and the log never passes its limit plus
        // one small transaction.
        #expect(checkpoints >= 2 && checkpoints <= 100, "\(checkpoints) checkpoints for 5,000 commits")
        #expect(largest <= limit + 64, "largest log: \(largest) frames, limit \(limit)")
        #expect(try await store.sendingCounts(deliveryID: "d") == SendingCounts(sent: count))
        try store.close()

        store = try SQLiteStore(path: directory.databasePath, configuration: configuration, logger: Logger(label: "test"))
        defer { try? store.close() }
        #expect(try await store.sendingCounts(deliveryID: "d") == SendingCounts(sent: count))
        let last = try await store.listLedger(deliveryID: "d", statuses: [.sent], after: String(count - 1), limit: 10).items
        #expect(last.map(\.replyText) == ["250 2.0.0 Ok \(count)"])
    }

    @Test("group commits from concurrent tasks beside imports all apply, each row moved once")
    func commitsBesideOtherWrites() async throws {
        try await withTemporaryStore { store, _ in
            let count = 4_000
            try await store.appendMessages(Self.messages("d", count))
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Four committers over interleaved groups of 8, each group also sent twice
                // (the second must change nothing), beside imports and single-row writes.
                for task in 0..<4 {
                    group.addTask {
                        for first in stride(from: 1 + task * 8, through: count, by: 32) {
                            let updates = (first..<first + 8).map {
                                LedgerUpdate.sent(sequence: $0, attempts: task + 1, reply: "250 \(task)", time: Self.t0)
                            }
                            try await store.applyLedgerUpdates(updates, deliveryID: "d")
                            try await store.applyLedgerUpdates(updates.map {
                                LedgerUpdate.failed(sequence: $0.sequence, reason: .other, attempts: 9, reply: "late", time: Self.t0)
                            }, deliveryID: "d")
                        }
                    }
                }
                group.addTask {
                    for batch in 0..<10 {
                        let profiles = (0..<500).map { Profile(id: "i\(batch)-\($0)", email: "i\(batch)-\($0)@example.com") }
                        _ = try await store.upsertProfiles(profiles, at: Self.t0)
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.sendingCounts(deliveryID: "d") == SendingCounts(sent: count))
            let rows = try await store.listLedger(deliveryID: "d", statuses: nil, after: nil, limit: count).items
            #expect(rows.allSatisfy { $0.attempts == ($0.message.sequence - 1) % 32 / 8 + 1 && $0.failureReason == nil })
            #expect(try await store.countProfiles(matching: .all) == 5_000)
        }
    }

    @Test("a group commit runs on the caller's thread only when alone, small and far from the log's limit")
    func inlineCommits() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        var configuration = SQLiteStore.Configuration.defaults
        configuration.walLimitBytes = 8 << 20
        let store = try SQLiteStore(path: directory.databasePath, configuration: configuration, logger: Logger(label: "test"))
        defer { try? store.close() }
        try await store.appendMessages(Self.messages("d", 200))
        func sent(_ range: ClosedRange<Int>) -> [LedgerUpdate] {
            range.map { .sent(sequence: $0, attempts: 1, reply: "250", time: Self.t0) }
        }
        let before = store.writes.inlineWrites
        try await store.applyLedgerUpdates(sent(1...4), deliveryID: "d")
        #expect(store.writes.inlineWrites == before + 1)
        // Another write in flight: queued behind it instead.
        store.writes.begin()
        try await store.applyLedgerUpdates(sent(5...8), deliveryID: "d")
        store.writes.end()
        #expect(store.writes.inlineWrites == before + 1)
        // A large group is queued too.
        try await store.applyLedgerUpdates(sent(9...(9 + SQLiteStore.maxInlineUpdates)), deliveryID: "d")
        #expect(store.writes.inlineWrites == before + 1)
        try await store.applyLedgerUpdates(sent(100...103), deliveryID: "d")
        #expect(store.writes.inlineWrites == before + 2)
        #expect(try await store.sendingCounts(deliveryID: "d") == SendingCounts(pending: 200 - 8 - 65 - 4, sent: 8 + 65 + 4))
        // Near the log's limit a commit could wait for a checkpoint: queued as well.
        let near = try SQLiteStore(
            path: directory.path + "/near.sqlite",
            configuration: { var c = configuration; c.walLimitBytes = 4 << 20; return c }(),
            logger: Logger(label: "test")
        )
        defer { try? near.close() }
        try await near.appendMessages(Self.messages("d", 10))
        #expect(near.checkpointer.framesAfterLastCommit + SQLiteStore.inlineLogMargin > near.checkpointer.maxLogFrames)
        try await near.applyLedgerUpdates(sent(1...4), deliveryID: "d")
        #expect(near.writes.inlineWrites == 0)
        #expect(try await near.sendingCounts(deliveryID: "d") == SendingCounts(pending: 6, sent: 4))
    }

    @Test("a write counted as alone excludes others until it ends")
    func writerActivity() {
        let activity = WriterActivity()
        #expect(activity.beginIfIdle())
        #expect(!activity.beginIfIdle())
        activity.begin()
        activity.end()
        #expect(!activity.beginIfIdle())
        activity.end()
        #expect(activity.beginIfIdle())
        activity.end()
    }

    @Test("the writer's page cache has its own size, the readers' theirs; set on every open")
    func writerCacheSize() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        for _ in 0..<2 {
            var configuration = SQLiteStore.Configuration.defaults
            configuration.cacheSizeKiB = 4_096
            configuration.writerCacheSizeKiB = 1_024
            let store = try SQLiteStore(path: directory.databasePath, configuration: configuration, logger: Logger(label: "test"))
            defer { try? store.close() }
            let pragmas = try store.cacheSizePragmas()
            #expect(pragmas.writer == -1_024)
            #expect(pragmas.reader == -4_096)
        }
        #expect(SQLiteStore.Configuration.defaults.writerCacheSizeKiB < SQLiteStore.Configuration.defaults.cacheSizeKiB)
        let same = SQLiteStore.Configuration(cacheSizeKiB: 2_048, busyTimeoutMilliseconds: 1_000, maximumReaderCount: 2, fullSync: false)
        #expect(same.writerCacheSizeKiB == 2_048)
    }
}
