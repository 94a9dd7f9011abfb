import Synchronization

/// The simulated audience's final counts and when it finished, set once by the task that
/// runs it and read by the KPI view's stop condition.
final class AudienceEnd: Sendable {
    private let state = Mutex<(progress: SimulatedAudience.Progress, time: ContinuousClock.Instant)?>(nil)

    /// The counts and the time, once the audience has finished.
    var value: (progress: SimulatedAudience.Progress, time: ContinuousClock.Instant)? {
        state.withLock { $0 }
    }

    /// Records the audience's final counts, now.
    func set(_ progress: SimulatedAudience.Progress) {
        let now = ContinuousClock.now
        state.withLock { $0 = (progress, now) }
    }
}
