import Dispatch
import Foundation

/// Runs `handler` once for the first SIGINT or SIGTERM (the default action of both is
/// disabled while the returned sources live).
func onTerminationSignal(_ handler: @escaping @Sendable (String) -> Void) -> [any DispatchSourceSignal] {
    [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")].map { number, name in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { handler(name) }
        source.resume()
        return source
    }
}
