import Foundation
import HeraldCore
@testable import HeraldStore
import Logging
import Testing

/// The import path's machinery: concurrent upserts sharing transactions (group commit)
/// and the WAL checkpointed beside the writer.
@Suite("SQLiteStore import")
struct SQLiteStoreImportTests {
    static let t1 = Timestamp(seconds: 1_700_000_000)
    static let t2 = Timestamp(seconds: 1_700_000_500)

    /// Profile `i` of batch `b`: 3 attributes, tags depending on `i`.
    static func profile(batch b: Int, _ i: Int, prefix: String = "p") -> Profile {
        let allTags = ["vip", "beta", "news"]
        return Profile(
            id: "\(prefix)\(b)-\(i)", email: "user\(i)@b\(b).example.com", firstName: "F\(i)", lastName: "L\(b)",
            locale: "sv-SE", timeZone: "Europe/Stockholm", tags: Array(allTags.prefix(i % 4)),
            attributes: ["batch": "\(b)", "n": "\(i)", "city": "City\(i % 7)"], subscription: .subscribed
        )
    }

    @Test("concurrent upserts each get their own counts and row errors, and every row is stored once with its tags")
    func concurrentBatches() async throws {
        try await withTemporaryStore { (store, _) async throws -> Void in
            let batches = 12, size = 700
            let results = try await withThrowingTaskGroup(of: (Int, ProfileUpsertResult).self) { group in
                for b in 0..<batches {
                    group.addTask {
                        var rows = (0..<size).map { Self.profile(batch: b, $0) }
                        rows[b] = Profile(id: "")  // a bad row at a different index in each batch
                        return (b, try await store.upsertProfiles(rows, at: Self.t1))
                    }
                }
                var results: [Int: ProfileUpsertResult] = [:]
                for try await (b, result) in group { results[b] = result }
                return results
            }
            for b in 0..<batches {
                let result = try #require(results[b])
                #expect(result.created == size - 1 && result.updated == 0)
                #expect(result.errors.map(\.index) == [b])
            }
            #expect(try await store.countProfiles(matching: .all) == batches * (size - 1))
            let vip = try await store.countProfiles(matching: AudienceFilter(parsing: #"tags HAS "vip""#))
            let expectedVIP = (0..<batches).reduce(0) { total, b in
                total + (0..<size).filter { $0 != b && $0 % 4 >= 1 }.count
            }
            #expect(vip == expectedVIP)
            let sample = try #require(try await store.profile(id: "p5-42"))
            var expected = Self.profile(batch: 5, 42).normalized()
            expected.createdAt = Self.t1
            expected.updatedAt = Self.t1
            #expect(sample == expected)

            // A second round replaces: counts are updates, tags are the new ones.
            let replaced = try await withThrowingTaskGroup(of: ProfileUpsertResult.self) { group in
                for b in 0..<batches {
                    group.addTask {
                        let rows = (0..<size).map { i in
                            var p = Self.profile(batch: b, i)
                            p.tags = i % 2 == 0 ? ["vip"] : []
                            return p
                        }
                        return try await store.upsertProfiles(rows, at: Self.t2)
                    }
                }
                var all: [ProfileUpsertResult] = []
                for try await result in group { all.append(result) }
                return all
            }
            #expect(replaced.map(\.updated).reduce(0, +) == batches * (size - 1))
            #expect(replaced.map(\.created).reduce(0, +) == batches)
            #expect(try await store.countProfiles(matching: AudienceFilter(parsing: #"tags HAS "vip""#)) == batches * size / 2)
            #expect(try await store.countProfiles(matching: AudienceFilter(parsing: #"tags HAS "beta""#)) == 0)
            #expect(try await store.profile(id: "p5-42")?.createdAt == Self.t1)
        }
    }

    @Test("the WAL is checkpointed beside the writer, and the next commit restarts it")
    func checkpointsBesideTheWriter() async throws {
        try await withTemporaryStore { (store, _) async throws -> Void in
            var written = 0
            for round in 0..<3 {
                // Commits until the log holds more than the checkpoint threshold (bounded).
                for part in 0..<20 where store.checkpointer.framesAfterLastCommit < WALCheckpointer.framesBeforeCheckpoint {
                    let rows = (0..<5_000).map { Self.profile(batch: round * 100 + part, $0) }
                    #expect(try await store.upsertProfiles(rows, at: Self.t1).created == 5_000)
                    written += 5_000
                }
                #expect(store.checkpointer.framesAfterLastCommit >= WALCheckpointer.framesBeforeCheckpoint)
                // Once the checkpoints asked for so far have run, the log is entirely in the
                // file: the next commit starts it over. Without them (the automatic
                // checkpoint is replaced) the log would keep every round's frames.
                store.checkpointer.waitUntilIdle()
                _ = try await store.upsertProfiles([Self.profile(batch: 99, round)], at: Self.t2)
                #expect(store.checkpointer.framesAfterLastCommit < 100)
            }
            #expect(store.checkpointer.checkpointCount >= 3)
            #expect(try await store.countProfiles(matching: .all) == written + 3)
        }
    }

    @Test("back-to-back commits keep the log within its limit plus one transaction")
    func logStaysBounded() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        var configuration = SQLiteStore.Configuration.defaults
        configuration.walLimitBytes = 4 << 20
        let store = try SQLiteStore(path: directory.databasePath, configuration: configuration, logger: Logger(label: "test"))
        let limit = store.checkpointer.maxLogFrames
        #expect(limit == 1_024)
        // Six importers writing at once keep the writer busy: the log has no idle moment
        // to restart in, so only the wait at the limit bounds it.
        let largest = try await withThrowingTaskGroup(of: Int.self) { group in
            for importer in 0..<6 {
                group.addTask {
                    var largest = 0
                    for part in 0..<5 {
                        let rows = (0..<3_000).map { Self.profile(batch: importer * 10 + part, $0) }
                        _ = try await store.upsertProfiles(rows, at: Self.t1)
                        largest = max(largest, store.checkpointer.framesAfterLastCommit)
                    }
                    return largest
                }
            }
            return try await group.reduce(0) { max($0, $1) }
        }
        // The log reaches the limit (90,000 rows are several times it) and never holds
        // more than the limit plus one transaction (at most 10,000 of these rows, about
        // 1,100 frames here).
        #expect(largest >= limit && largest < limit * 5 / 2, "largest log: \(largest) frames, limit \(limit)")
        #expect(try await store.countProfiles(matching: .all) == 90_000)
        try store.close()
    }

    @Test("after many checkpointed imports, the data survives closing and reopening")
    func reopenAfterCheckpoints() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try SQLiteStore(path: directory.databasePath, logger: Logger(label: "test"))
        for round in 0..<3 {
            _ = try await store.upsertProfiles((0..<5_000).map { Self.profile(batch: round, $0) }, at: Self.t1)
        }
        try store.close()
        #expect(!FileManager.default.fileExists(atPath: directory.databasePath + "-wal"))
        let again = try SQLiteStore(path: directory.databasePath, logger: Logger(label: "test"))
        #expect(try await again.countProfiles(matching: .all) == 15_000)
        #expect(try await again.profile(id: "p2-4999")?.attributes["n"] == "4999")
        try again.close()
    }
}
