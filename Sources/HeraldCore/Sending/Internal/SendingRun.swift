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

    /// Messages handled per second over the last few seconds.
    var throughput: Double {
        let time = ContinuousClock.now - started
        return state.withLock { $0.handled.rate(at: time) }
    }
}
