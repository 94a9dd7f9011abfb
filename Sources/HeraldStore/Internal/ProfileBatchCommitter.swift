internal import GRDB
import HeraldCore
internal import Synchronization

/// Writes the profile batches of concurrent upserts in shared transactions (group commit).
///
/// Each call queues its batch and asks the single writer for a transaction; the first
/// transaction to start takes every batch queued by then and writes them one after the
/// other, and the calls whose batches it took are answered once it has committed. A batch
/// is always written whole inside one transaction, so a crash still leaves each batch
/// entirely written or not at all, and no call is answered before its rows are committed.
/// With several imports in flight this makes fewer, larger commits: a page touched by
/// several batches is written to the log once, and a transaction's fixed costs are paid
/// once. A transaction that fails fails every batch in it (none of them is written).
final class ProfileBatchCommitter: Sendable {
    /// What one batch's write did: rows created and updated, and the positions (in the
    /// batch) of the rows refused because their new attribute key exceeded the limit.
    struct Outcome: Sendable {
        var created = 0
        var updated = 0
        var refused: [(position: Int, error: HeraldError)] = []
    }

    private struct Job: Sendable {
        let batch: PreparedProfiles
        let micros: Int64
        let continuation: CheckedContinuation<Outcome, any Error>
    }

    /// The jobs one transaction took, shared by its body and its completion (both run on
    /// the writer's queue, one after the other).
    private final class Taken: Sendable {
        let jobs = Mutex<[Job]>([])
    }

    private let pending = Mutex<[Job]>([])

    /// Writes `batch` with `micros` as its timestamp, sharing the transaction with the
    /// batches queued beside it; returns once the transaction has committed.
    func write(_ batch: PreparedProfiles, at micros: Int64, in pool: DatabasePool) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            pending.withLock { $0.append(Job(batch: batch, micros: micros, continuation: continuation)) }
            let taken = Taken()
            pool.asyncWrite(
                { db -> [Outcome] in
                    let jobs = self.pending.withLock { pending -> [Job] in
                        defer { pending.removeAll(keepingCapacity: true) }
                        return pending
                    }
                    taken.jobs.withLock { $0 = jobs }
                    guard !jobs.isEmpty else { return [] }
                    var writer = try ProfileWriter(db)
                    defer { writer.finish() }
                    return try jobs.map { try Self.write($0.batch, at: $0.micros, with: &writer) }
                },
                completion: { _, result in
                    var jobs = taken.jobs.withLock { $0 }
                    switch result {
                    case .success(let outcomes):
                        for (job, outcome) in zip(jobs, outcomes) { job.continuation.resume(returning: outcome) }
                    case .failure(let error):
                        // A transaction that never ran its body took nothing: answer the
                        // queued jobs here, their own transactions may never run either.
                        if jobs.isEmpty {
                            jobs = self.pending.withLock { pending -> [Job] in
                                defer { pending.removeAll() }
                                return pending
                            }
                        }
                        for job in jobs { job.continuation.resume(throwing: error) }
                    }
                }
            )
        }
    }

    private static func write(_ batch: PreparedProfiles, at micros: Int64, with writer: inout ProfileWriter) throws -> Outcome {
        try batch.bytes.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress else { return Outcome() }
            var outcome = Outcome()
            for position in batch.rows.indices {
                do {
                    if try writer.upsert(batch, position, base, at: micros) {
                        outcome.created += 1
                    } else {
                        outcome.updated += 1
                    }
                } catch let error as HeraldError where error.code == .resourceExhausted {
                    outcome.refused.append((position, error))
                }
            }
            // Nothing may point into these bytes once they are released.
            writer.finish()
            return outcome
        }
    }
}
