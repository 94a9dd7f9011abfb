import Dispatch
import GRDBSQLite
import HeraldCore
import Logging
internal import Synchronization

/// Copies the write-ahead log back into the database file on its own thread and its own
/// connection, so that no commit of the single writer waits for a checkpoint.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, on
/// the writer's thread: it copies every new WAL frame into the file and syncs both, and
/// the writer waits for it (in a 1,000,000-profile import, a fifth of the writer's CPU
/// time plus its fsync waits). Here the writer connection's WAL hook (installed by
/// ``install(on:)``, which replaces the automatic checkpoint) only signals this
/// checkpointer once the log holds ``framesBeforeCheckpoint`` frames not yet copied into
/// the file, and a `PASSIVE` checkpoint runs on a serial queue beside the next
/// transactions (SQLite lets a checkpoint run concurrently with one writer and with
/// readers). Durability is unchanged: a commit is in the WAL either way, and a checkpoint
/// syncs the log before copying it.
///
/// The threshold counts the frames written since the last checkpoint, not the log's
/// size: sending commits a few rows at a time, back to back, so the log seldom restarts
/// and, once it held 1,000 frames, a threshold on its size would start a checkpoint (two
/// fsyncs) after nearly every small commit (one per ~11 commits of 4 rows in
/// `make bench-ledger`). Counting the uncopied frames, a checkpoint copies about 1,000
/// new frames whatever the transactions' sizes (an import's large commits cross it each
/// time, as before), and commits made while a checkpoint runs do not queue another one
/// for the few frames they add (unless the log reached its limit).
///
/// While the writer commits back to back the log cannot restart (a restart needs a log
/// entirely copied when a transaction begins), so it would grow for as long as an import
/// lasts. Once it holds ``maxLogFrames`` frames, a commit waits for the checkpoint to
/// catch up, and the next transaction starts the log over: the log stays within
/// ``maxLogFrames`` plus one transaction, at the cost of one wait per that many frames.
final class WALCheckpointer: Sendable {
    /// The frames (pages) written to the log since the last checkpoint from which the
    /// next one is started: SQLite's own automatic threshold.
    static let framesBeforeCheckpoint = 1_000

    /// The checkpointing connection, opened by ``open(path:)``. Used only on ``queue``
    /// (every access goes through `queue.sync`/`queue.async`), which makes it safe to share.
    private final class Connection: @unchecked Sendable {
        var handle: OpaquePointer?

        /// A store dropped without ``SQLiteStore/close()`` still releases the connection.
        deinit {
            if let handle { sqlite3_close_v2(handle) }
        }
    }

    private struct State {
        /// A checkpoint is queued and has not started yet.
        var scheduled = false
        /// A checkpoint is running (commits meanwhile do not queue another one, unless
        /// the log reached its limit).
        var running = false
        var closed = false
    }

    private let queue = DispatchQueue(label: "herald.store.wal-checkpointer")
    private let connection = Connection()
    private let state = Mutex(State())
    private let logger: Logger
    /// Checkpoints run so far, and the log's size in frames after the last commit (for
    /// tests and diagnostics).
    private let runs = Atomic<Int>(0)
    private let logFrames = Atomic<Int>(0)
    /// The log's frames that the last checkpoint had copied into the file.
    private let copiedFrames = Atomic<Int>(0)
    /// Commits seen by the hook and the frames they wrote to the log, in total (for
    /// benchmarks: frames per transaction).
    private let commits = Atomic<Int>(0)
    private let framesWritten = Atomic<Int>(0)

    /// The log size, in frames, from which a commit waits for the checkpoint.
    let maxLogFrames: Int

    /// Creates a checkpointer; it checkpoints nothing until ``open(path:)``.
    init(maxLogFrames: Int, logger: Logger) {
        self.maxLogFrames = max(maxLogFrames, Self.framesBeforeCheckpoint)
        self.logger = logger
    }

    /// Opens the checkpointing connection to the database at `path` (already in WAL mode).
    ///
    /// - Throws: ``HeraldError/Code/unavailable`` when the connection cannot be opened.
    func open(path: String) throws {
        try queue.sync {
            var handle: OpaquePointer?
            let code = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil)
            // A read makes the connection open the WAL; until then a checkpoint does nothing.
            guard code == SQLITE_OK, let handle,
                sqlite3_exec(handle, "SELECT count(*) FROM sqlite_master", nil, nil, nil) == SQLITE_OK
            else {
                let message = handle.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "out of memory"
                if let handle { sqlite3_close_v2(handle) }
                throw HeraldError(code: .unavailable, message: "cannot open the checkpointing connection to \(path): \(message)")
            }
            connection.handle = handle
        }
    }

    /// Makes the commits of `db`'s connection signal this checkpointer instead of
    /// checkpointing themselves. The hook keeps an unretained reference: the caller keeps
    /// this checkpointer alive as long as the connection is open.
    func install(on db: OpaquePointer) {
        sqlite3_wal_hook(
            db,
            { context, _, _, frames in
                if let context { Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().committed(frames) }
                return SQLITE_OK
            },
            Unmanaged.passUnretained(self).toOpaque()
        )
    }

    /// The number of checkpoints run so far.
    var checkpointCount: Int { runs.load(ordering: .relaxed) }

    /// The number of frames in the log after the last commit (a commit that found the log
    /// entirely copied into the file restarts it from its first frame).
    var framesAfterLastCommit: Int { logFrames.load(ordering: .relaxed) }

    /// The commits seen so far and the log frames (pages) they wrote.
    var commitTotals: (transactions: Int, frames: Int) {
        (commits.load(ordering: .relaxed), framesWritten.load(ordering: .relaxed))
    }

    /// Waits until the checkpoints scheduled so far have run.
    func waitUntilIdle() {
        queue.sync {}
    }

    /// Stops checkpointing and closes the connection (the last connection to close
    /// checkpoints what is left, as SQLite always does).
    func close() {
        state.withLock { $0.closed = true }
        queue.sync {
            if let handle = connection.handle {
                sqlite3_close_v2(handle)
                connection.handle = nil
            }
        }
    }

    /// Called by the WAL hook after each commit, on the writer's thread: cheap.
    private func committed(_ frames: Int32) {
        let frames = Int(frames)
        let previous = logFrames.exchange(frames, ordering: .relaxed)
        commits.add(1, ordering: .relaxed)
        // A log started over holds only this commit's frames.
        framesWritten.add(frames < previous ? frames : frames - previous, ordering: .relaxed)
        // A transaction restarts the log only if it began with the log entirely copied:
        // then all of the log may be new.
        let copied = copiedFrames.load(ordering: .relaxed)
        let uncopied = frames < previous || copied >= previous ? frames : frames - copied
        let full = frames >= maxLogFrames
        guard uncopied >= Self.framesBeforeCheckpoint || full else { return }
        schedule(evenWhileRunning: full)
        // The commit is complete and no lock is held here: waiting cannot block the
        // checkpoint, which then copies the whole log (unless a reader still reads an
        // older snapshot), so that the next transaction restarts it.
        if frames >= maxLogFrames { waitUntilIdle() }
    }

    private func schedule(evenWhileRunning: Bool) {
        let start = state.withLock { state -> Bool in
            guard !state.scheduled, !state.closed, !state.running || evenWhileRunning else { return false }
            state.scheduled = true
            return true
        }
        guard start else { return }
        queue.async { self.checkpoint() }
    }

    /// Runs on ``queue``.
    private func checkpoint() {
        // Commits from now on may schedule the next run: once this one is done, or at
        // once when the log reaches its limit.
        guard state.withLock({ state -> Bool in
            state.scheduled = false
            return !state.closed
        }), let handle = connection.handle else { return }
        state.withLock { $0.running = true }
        defer { state.withLock { $0.running = false } }
        var logFrames: Int32 = 0, copiedFrames: Int32 = 0
        let code = sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &copiedFrames)
        runs.add(1, ordering: .relaxed)
        if code == SQLITE_OK { self.copiedFrames.store(Int(copiedFrames), ordering: .relaxed) }
        // BUSY: another checkpoint is running (the one at close); the next commit retries.
        if code != SQLITE_OK && code != SQLITE_BUSY {
            logger.warning(
                "WAL checkpoint failed",
                metadata: ["herald.database.error": "\(code): \(String(cString: sqlite3_errmsg(handle)))"]
            )
        }
    }
}
