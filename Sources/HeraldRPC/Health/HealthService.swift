public import GRPCInterop
public import HeraldProtos
import Synchronization

/// `grpc.health.v1.Health`: Check and Watch, overall (service "") and per service.
///
/// Statuses are set by the application; ``enterShutdown()`` reports NOT_SERVING for
/// everything (wire it to ``GRPCServer/onShutdown(_:)``) and ignores later changes.
/// Each watcher gets the current status first, then every change; a watcher that
/// reads slowly gets only the newest status (never a backlog).
public final class HealthService: Sendable {
    /// A serving status.
    public typealias Status = Grpc_Health_V1_HealthCheckResponse.ServingStatus

    private let state = Mutex(State())

    private struct State {
        var statuses: [String: Status] = ["": .serving]
        var watchers: [Int: Watcher] = [:]
        var nextWatcherID = 0
        var shuttingDown = false
    }

    private struct Watcher {
        let service: String
        let continuation: AsyncStream<Status>.Continuation
    }

    /// Creates the service with the overall status SERVING and `services` SERVING.
    public init(services: [String] = []) {
        state.withLock { state in
            for service in services { state.statuses[service] = .serving }
        }
    }

    /// Sets the status of a service ("" is the server as a whole) and tells watchers.
    public func setStatus(_ status: Status, for service: String = "") {
        let watchers = state.withLock { state -> [Watcher] in
            guard !state.shuttingDown, state.statuses[service] != status else { return [] }
            state.statuses[service] = status
            return state.watchers.values.filter { $0.service == service }
        }
        for watcher in watchers { watcher.continuation.yield(status) }
    }

    /// Reports NOT_SERVING for every service, for good, and ends every Watch stream
    /// after that last status so that watchers do not hold the shutdown up.
    public func enterShutdown() {
        let updates = state.withLock { state -> [(Watcher, Status)] in
            guard !state.shuttingDown else { return [] }
            state.shuttingDown = true
            for service in state.statuses.keys { state.statuses[service] = .notServing }
            return state.watchers.values.map { ($0, state.statuses[$0.service] ?? .serviceUnknown) }
        }
        for (watcher, status) in updates {
            watcher.continuation.yield(status)
            watcher.continuation.finish()
        }
    }

    /// The current status of a service, nil when unknown.
    public func status(of service: String) -> Status? {
        state.withLock { $0.statuses[service] }
    }

    /// Registers Check and Watch.
    public func register(into router: inout RPCRouter) {
        router.register(Grpc_Health_V1_Health.check) { [self] request, _ in
            guard let status = status(of: request.service) else {
                throw RPCError(code: .notFound, message: "unknown service '\(request.service)'")
            }
            var response = Grpc_Health_V1_HealthCheckResponse()
            response.status = status
            return response
        }
        router.register(Grpc_Health_V1_Health.watch) { [self] request, writer, _ in
            for await status in statusUpdates(for: request.service) {
                var response = Grpc_Health_V1_HealthCheckResponse()
                response.status = status
                try await writer.write(response)
            }
        }
    }

    /// The current status of a service (SERVICE_UNKNOWN when unknown), then every change.
    private func statusUpdates(for service: String) -> AsyncStream<Status> {
        let (stream, continuation) = AsyncStream.makeStream(of: Status.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state -> Int in
            let id = state.nextWatcherID
            state.nextWatcherID += 1
            state.watchers[id] = Watcher(service: service, continuation: continuation)
            continuation.yield(state.statuses[service] ?? .serviceUnknown)
            if state.shuttingDown { continuation.finish() }
            return id
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.watchers.removeValue(forKey: id) }
        }
        return stream
    }
}
