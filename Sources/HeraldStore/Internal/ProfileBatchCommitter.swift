internal import GRDB
import HeraldCore
internal import Synchronization

/// Writes the profile batches of concurrent upserts in shared transactions (group commit).
///
/// Each call queues its batch and asks the single writer for a transaction; a transaction
/// takes the queued batches, oldest first, up to ``maxRowsPerTransaction`` rows (always
/// at least one batch), writes them one after the other, and the calls whose batches it
/// took are answered once it has committed. A batch is always written whole inside one
/// transaction, so a crash still leaves each batch entirely written or not at all, and no
/// call is answered before its rows are committed. Many small concurrent upserts then
/// share one commit (its log write and fixed costs). Full batches of 10,000 go one per
/// transaction: taking every queued batch at once would answer all the importers' calls
/// together and leave the writer idle while their next batches are decoded. A
/// transaction that fails fails every batch in it (none of them is written).
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

    /// The most rows one transaction takes from the queue (unless a single batch is larger).
    static let maxRowsPerTransaction = 10_000

    private let pending = Mutex<[Job]>([])

    /// Writes `batch` with `micros` as its timestamp, sharing the transaction with the
    /// batches queued beside it; returns once the transaction has committed.
    func write(_ batch: PreparedProfiles, at micros: Int64, in pool: DatabasePool) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            pending.withLock { $0.append(Job(batch: batch, micros: micros, continuation: continuation)) }
            let taken = Taken()
            pool.asyncWrite(
                { db -> [Outcome] in
                    let jobs = self.pending.withLock { Self.takeJobs(&$0) }
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

    /// Removes and returns the oldest queued jobs, up to ``maxRowsPerTransaction`` rows.
    private static func takeJobs(_ pending: inout [Job]) -> [Job] {
        var count = 0, rows = 0
        while count < pending.count, count == 0 || rows + pending[count].batch.rows.count <= maxRowsPerTransaction {
            rows += pending[count].batch.rows.count
            count += 1
        }
        defer { pending.removeFirst(count) }
        return Array(pending.prefix(count))
    }

    private static func write(_ batch: PreparedProfiles, at micros: Int64, with writer: inout ProfileWriter) throws -> Outcome {
        try batch.bytes.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress else { return Outcome() }
            writer.begin(batch)
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
