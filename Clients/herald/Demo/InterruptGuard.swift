import Dispatch
import Foundation
import Synchronization

/// Runs a clean-up on SIGINT (Ctrl-C) or SIGTERM, then exits with 128 + the signal, so
/// that `herald demo` stops the heraldd it started whatever happens. While it is
/// installed the signals' default action is off; ``cancel()`` restores it.
final class InterruptGuard {
    private let sources: [any DispatchSourceSignal]
    private let state = Received()

    /// The first signal received, shared with the handlers.
    private final class Received: Sendable {
        let signal = Mutex<Int32?>(nil)
    }

    /// The signal received, if any: from then on the handler owns the process's end.
    var received: Int32? { state.signal.withLock { $0 } }

    /// Installs `cleanUp` (given the signal number) for SIGINT and SIGTERM.
    init(_ cleanUp: @escaping @Sendable (Int32) -> Void) {
        let queue = DispatchQueue(label: "herald.demo.signals")
        let state = self.state
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                let first = state.signal.withLock { received in
                    defer { received = received ?? number }
                    return received == nil
                }
                guard first else { return }
                cleanUp(number)
                exit(128 + number)
            }
            source.resume()
            return source
        }
    }

    /// Waits for the handler, which ends the process, when a signal was received (at most
    /// `limit`); returns otherwise at once.
    func yieldToHandler(limit: Duration = .seconds(60)) async {
        guard received != nil else { return }
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Removes the handlers and restores the default actions.
    func cancel() {
        for source in sources {
            source.cancel()
        }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
