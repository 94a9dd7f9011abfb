import Dispatch
import Foundation

/// Runs a clean-up on SIGINT (Ctrl-C) or SIGTERM, then exits with 128 + the signal, so
/// that `herald demo` stops the heraldd it started whatever happens. While it is
/// installed the signals' default action is off; ``cancel()`` restores it.
final class InterruptGuard {
    private let sources: [any DispatchSourceSignal]

    /// Installs `cleanUp` (given the signal number) for SIGINT and SIGTERM.
    init(_ cleanUp: @escaping @Sendable (Int32) -> Void) {
        let queue = DispatchQueue(label: "herald.demo.signals")
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                cleanUp(number)
                exit(128 + number)
            }
            source.resume()
            return source
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
