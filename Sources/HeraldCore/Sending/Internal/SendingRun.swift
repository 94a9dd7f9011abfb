import Synchronization

/// The shared state of one sending run: whether it was asked to stop, how many messages
/// are in flight, and what it handled recently (the throughput).
final class SendingRun: Sendable {
    /// Why a run is asked to stop.
    enum StopReason: Sendable {
        case pause, cancel, shutdown
    }

    struct State {
        var stop: StopReason?
        /// Set once the run decided to complete: a stop can no longer be asked.
        var finishing = false
        var inFlight = 0
        var handled = ThroughputWindow()
        /// The ledger's counts as committed, kept up to date by the run (read once when
        /// it starts, then moved by each committed transaction): progress reads them
        /// instead of counting the rows. `nil` until read.
        var counts: SendingCounts?
    }

    let deliveryID: String
    let started = ContinuousClock.now
    let state = Mutex(State())

    init(deliveryID: String) {
        self.deliveryID = deliveryID
    }

    /// Asks the run to stop unless it is finishing; returns the messages in flight then,
    /// or `nil` when the run is completing.
    func requestStop(_ reason: StopReason) -> Int? {
        state.withLock { state in
            guard !state.finishing else { return nil }
            if state.stop == nil { state.stop = reason }
            return state.inFlight
        }
    }

    var stopRequested: Bool { state.withLock { $0.stop != nil } }

    /// Counts `count` messages whose final outcome was committed.
    func handled(_ count: Int) {
        let time = ContinuousClock.now - started
        state.withLock { $0.handled.record(count, at: time) }
    }

    /// The committed counts, when the run keeps them.
    var counts: SendingCounts? { state.withLock { $0.counts } }

    /// Moves the counts by a committed transaction's updates (each PENDING → SENT or
    /// FAILED; a retry stays PENDING).
    func committed(_ updates: [LedgerUpdate]) {
        state.withLock { state in
            guard var counts = state.counts else { return }
            for update in updates {
                switch update {
                case .sent:
                    counts.pending -= 1
                    counts.sent += 1
                case .failed:
                    counts.pending -= 1
                    counts.failed += 1
                case .retry:
                    break
                }
            }
            state.counts = counts
        }
    }

    /// Messages handled per second over the last few seconds.
    var throughput: Double {
        let time = ContinuousClock.now - started
        return state.withLock { $0.handled.rate(at: time) }
    }
}
