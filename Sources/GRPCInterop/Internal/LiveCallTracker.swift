import Synchronization

/// Counts live calls so that a shutdown can wait for the last one.
final class LiveCallTracker: Sendable {
    private let state = Mutex(State())

    private struct State {
        var live = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    func callStarted() {
        state.withLock { $0.live += 1 }
    }

    func callEnded() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.live -= 1
            guard state.live == 0 else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    var liveCalls: Int { state.withLock { $0.live } }

    /// Returns once no call is live.
    func waitUntilIdle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state -> Bool in
                if state.live == 0 { return true }
                state.waiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }
}
