import Foundation
import HeraldProtos
import HeraldRPC
import Synchronization

/// The live KPI view of `herald kpis --watch`, as a piece other commands reuse (`herald
/// demo` shows it while it sends): follows WatchKpis for one delivery or for every active
/// one, shows each update with a ``KPIView`` (redrawn in place on a terminal, plain lines
/// otherwise, JSON lines with `--json`), and reopens a lost connection.
///
/// Without a stop condition it follows until Ctrl-C (or until the server ends the
/// stream); with one, it returns as soon as the condition holds, checked on each update
/// and every 250 ms between updates (the condition may depend on more than the KPIs).
struct KPIWatch {
    /// The server, `--json` and call options.
    var connection: ConnectionOptions
    /// How a lost connection is reopened.
    var reconnect: ReconnectOptions
    /// The delivery to follow, or nil for every active one.
    var deliveryId: String?

    /// The last update received and whether the stop condition ended the watch, shared
    /// with the task that checks the condition between updates.
    private final class Shared: Sendable {
        let latest = Mutex<Herald_V1_KpiUpdate?>(nil)
        let stopped = Mutex(false)
    }

    /// Follows the KPIs, showing them with `view`, until `stop` (given the last update
    /// received, nil before the first) returns true; returns that last update.
    @discardableResult
    func run(
        view: KPIView,
        until stop: (@Sendable (Herald_V1_KpiUpdate?) -> Bool)? = nil
    ) async throws -> Herald_V1_KpiUpdate? {
        var request = Herald_V1_WatchKpisRequest()
        request.deliveryId = deliveryId ?? ""
        let shared = Shared()
        try await reconnect.run(connection) { client, progressed in
            try await client.stream(Herald_V1_DeliveryService.watchKpis, request) { stream in
                // Between updates: cancelling the call ends the iteration below.
                let checker = stop.map { stop in
                    Task {
                        while !Task.isCancelled {
                            if stop(shared.latest.withLock { $0 }) {
                                shared.stopped.withLock { $0 = true }
                                stream.cancel()
                                return
                            }
                            try? await Task.sleep(for: .milliseconds(250))
                        }
                    }
                }
                defer { checker?.cancel() }
                do {
                    for try await message in stream {
                        progressed()
                        let update = message.update ?? Herald_V1_KpiUpdate()
                        shared.latest.withLock { $0 = update }
                        view.show(update)
                        if let stop, stop(update) {
                            shared.stopped.withLock { $0 = true }
                            return
                        }
                    }
                } catch where shared.stopped.withLock({ $0 }) {
                    // The call cancelled by the stop condition.
                    return
                }
            }
        }
        return shared.latest.withLock { $0 }
    }
}
