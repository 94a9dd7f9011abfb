import Synchronization

/// A signal fired once, awaited by any number of tasks.
final class OneShotSignal: Sendable {
    private let state = Mutex(State.waiting([]))

    private enum State {
        case waiting([CheckedContinuation<Void, Never>])
        case fired
    }

    var isFired: Bool {
        state.withLock { if case .fired = $0 { true } else { false } }
    }

    func fire() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            defer { state = .fired }
            if case .waiting(let waiters) = state { return waiters }
            return []
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let firedAlready = state.withLock { state -> Bool in
                switch state {
                case .fired:
                    return true
                case .waiting(var waiters):
                    waiters.append(continuation)
                    state = .waiting(waiters)
                    return false
                }
            }
            if firedAlready { continuation.resume() }
        }
    }

    /// Waits at most `timeout`; true when the signal fired in time. Polls: meant for
    /// rare events such as shutdown, not hot paths.
    func wait(timeout: Duration) async -> Bool {
        let end = ContinuousClock.now + timeout
        while !isFired {
            if ContinuousClock.now >= end { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }
}
