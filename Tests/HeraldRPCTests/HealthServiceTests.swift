import GRPCInterop
import HeraldProtos
import HeraldRPC
import Logging
import Testing

@Suite("grpc.health.v1.Health over loopback")
struct HealthServiceTests {
    /// Serves `health` (and nothing else) on an ephemeral port.
    func withHealthServer<R: Sendable>(
        _ health: HealthService, grace: Duration = .milliseconds(500),
        _ body: (GRPCServer, GRPCClient) async throws -> R
    ) async throws -> R {
        var router = RPCRouter()
        health.register(into: &router)
        let server = try GRPCServer(
            configuration: .init(address: "127.0.0.1:0", shutdownGracePeriod: grace),
            router: router, logger: Logger(label: "test"))
        server.onShutdown { health.enterShutdown() }
        let client = GRPCClient(target: "127.0.0.1:\(server.port)")
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await server.serve() }
            defer { server.beginGracefulShutdown() }
            let result = try await body(server, client)
            await client.close()
            return result
        }
    }

    func check(_ client: GRPCClient, _ service: String) async throws -> HealthService.Status {
        var request = Grpc_Health_V1_HealthCheckRequest()
        request.service = service
        return try await client.call(Grpc_Health_V1_Health.check, request).status
    }

    @Test("Check answers SERVING overall and per registered service, NOT_FOUND otherwise")
    func check() async throws {
        let health = HealthService(services: ["herald.v1.DeliveryService"])
        try await withHealthServer(health) { _, client in
            let overall = try await check(client, "")
            let service = try await check(client, "herald.v1.DeliveryService")
            #expect(overall == .serving)
            #expect(service == .serving)
            let error = await #expect(throws: RPCError.self) { try await check(client, "no.Such") }
            #expect(error?.code == .notFound)
            health.setStatus(.notServing, for: "herald.v1.DeliveryService")
            let changed = try await check(client, "herald.v1.DeliveryService")
            #expect(changed == .notServing)
        }
    }

    @Test("Watch streams the current status, then each change; unknown services are SERVICE_UNKNOWN until known")
    func watch() async throws {
        let health = HealthService(services: ["a.Service"])
        try await withHealthServer(health) { _, client in
            var request = Grpc_Health_V1_HealthCheckRequest()
            request.service = "a.Service"
            let seen = try await client.stream(Grpc_Health_V1_Health.watch, request) { stream in
                var seen: [HealthService.Status] = []
                for try await response in stream {
                    seen.append(response.status)
                    switch seen.count {
                    case 1: health.setStatus(.notServing, for: "a.Service")
                    case 2: health.setStatus(.serving, for: "a.Service")
                    default: return seen
                    }
                }
                return seen
            }
            #expect(seen == [.serving, .notServing, .serving])

            request.service = "later.Service"
            let unknownThenServing = try await client.stream(Grpc_Health_V1_Health.watch, request) { stream in
                var seen: [HealthService.Status] = []
                for try await response in stream {
                    seen.append(response.status)
                    if seen.count == 1 { health.setStatus(.serving, for: "later.Service") } else { return seen }
                }
                return seen
            }
            #expect(unknownThenServing == [.serviceUnknown, .serving])
        }
    }

    @Test("a graceful shutdown reports NOT_SERVING to watchers, then ends their streams with OK at once")
    func notServingOnShutdown() async throws {
        let health = HealthService()
        // A grace period far longer than the test: a Watch stream that waited for it
        // would end with CANCELLED/UNAVAILABLE, and the `for try await` would throw.
        try await withHealthServer(health, grace: .seconds(60)) { server, client in
            let seen = try await client.stream(Grpc_Health_V1_Health.watch, Grpc_Health_V1_HealthCheckRequest()) { stream in
                var seen: [HealthService.Status] = []
                for try await response in stream {
                    seen.append(response.status)
                    if seen.count == 1 { server.beginGracefulShutdown() }
                }
                return seen
            }
            #expect(seen == [.serving, .notServing])
        }
    }

    @Test("a malformed request is INVALID_ARGUMENT")
    func malformedRequest() async throws {
        try await withHealthServer(HealthService()) { _, client in
            let error = await #expect(throws: RPCError.self) {
                try await client.unary(path: Grpc_Health_V1_Health.check.path, request: [0x0A, 0xFF, 0x01])
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains("grpc.health.v1.HealthCheckRequest") == true)
        }
    }
}
