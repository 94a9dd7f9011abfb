import NIOCore
import Synchronization

/// Jobs handed to one event loop from another thread, run in batches: the first job
/// posted while none is pending schedules one `execute` on the loop, later ones ride
/// along. The tracking recorder answers a whole commit group's open pixels from its
/// writer thread; this turns those answers into one wake-up per event loop per group
/// instead of one per request.
final class EventLoopMailbox: Sendable {
    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var scheduled = false
    }

    private let eventLoop: any EventLoop
    private let state = Mutex(State())

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Runs `job` on the event loop, soon, after the jobs posted before it.
    func post(_ job: @escaping @Sendable () -> Void) {
        let schedule = state.withLock { state -> Bool in
            state.jobs.append(job)
            defer { state.scheduled = true }
            return !state.scheduled
        }
        if schedule { eventLoop.execute { self.runJobs() } }
    }

    private func runJobs() {
        var jobs: [@Sendable () -> Void] = []
        state.withLock { state in
            swap(&jobs, &state.jobs)
            state.scheduled = false
        }
        for job in jobs { job() }
    }
}
