import Synchronization

/// The shared state of one sending run: whether it was asked to stop, how many messages
/// are in flight, and what it handled (for the throughput).
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
        var handled = 0
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

    /// Messages handled per second since the run started.
    var throughput: Double {
        let handled = state.withLock { $0.handled }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return seconds > 0.05 ? Double(handled) / seconds : 0
    }
}
