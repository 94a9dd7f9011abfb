import HeraldCore
import Synchronization

/// Hands the snapshots of one preparation watch from the task that reads them to the
/// task that writes them on a gRPC stream, coalescing what the writer has not taken yet:
/// the newest snapshot wins and the log entries of the skipped ones are kept, in order,
/// so a slow client gets every entry once and never slows the preparation.
///
/// ``wakeups`` yields after each ``post(_:)`` and ``tick()`` (buffering one signal) and
/// ends after ``finish()``; it has one reader, the writing task.
final class ProgressMailbox: Sendable {
    private let pending = Mutex<PreparationProgress?>(nil)
    private let signal: AsyncStream<Void>.Continuation
    /// Signals that a snapshot was posted or a tick passed.
    let wakeups: AsyncStream<Void>

    init() {
        (wakeups, signal) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Leaves a snapshot for the writer, merged with the one not taken yet.
    func post(_ progress: PreparationProgress) {
        pending.withLock { pending in
            var next = progress
            if let previous = pending { next.newLogEntries = previous.newLogEntries + progress.newLogEntries }
            pending = next
        }
        signal.yield()
    }

    /// Wakes the writer without a snapshot (a heartbeat).
    func tick() {
        signal.yield()
    }

    /// The snapshot posted since the last call, if any.
    func take() -> PreparationProgress? {
        pending.withLock { pending in
            defer { pending = nil }
            return pending
        }
    }

    /// Ends ``wakeups`` once the writer has seen the signals already given.
    func finish() {
        signal.finish()
    }
}
