import GRPCInterop
import Testing

@Suite("Connection management channel arguments")
struct ConnectionTests {
    static func peerRouter() -> RPCRouter {
        var router = RPCRouter()
        router.registerUnary("/test.Peer/Get") { request in
            ServerResponse(message: Array(request.context.peer.utf8))
        }
        return router
    }

    func peer(_ client: GRPCClient) async throws -> String {
        String(decoding: try await client.unary(path: "/test.Peer/Get", request: []).message, as: UTF8.self)
    }

    @Test("the peer is the client's loopback address")
    func peerAddress() async throws {
        try await withServer(Self.peerRouter()) { _, client in
            let peer = try await peer(client)
            #expect(peer.hasPrefix("ipv4:127.0.0.1:"))
        }
    }

    @Test("a connection older than the maximum age is replaced; calls keep working")
    func maxConnectionAge() async throws {
        try await withServer(Self.peerRouter(), configure: {
            $0.maxConnectionAge = .milliseconds(300)
            $0.maxConnectionAgeGrace = .milliseconds(200)
        }) { _, client in
            let first = try await peer(client)
            let again = try await peer(client)
            #expect(first == again)
            try await Task.sleep(for: .milliseconds(1200))
            let later = try await peer(client)
            #expect(later.hasPrefix("ipv4:127.0.0.1:"))
            #expect(later != first, "the client should be on a new connection (new source port)")
        }
    }

    @Test("an idle connection is closed after the maximum idle time; the next call reconnects")
    func maxConnectionIdle() async throws {
        try await withServer(Self.peerRouter(), configure: { $0.maxConnectionIdle = .milliseconds(300) }) { _, client in
            let first = try await peer(client)
            try await Task.sleep(for: .milliseconds(1200))
            let later = try await peer(client)
            #expect(later != first)
        }
    }

    @Test("keepalive settings are accepted on both sides and calls work")
    func keepalive() async throws {
        var router = RPCRouter()
        router.registerUnary("/test.Echo/Unary") { ServerResponse(message: $0.message) }
        let server = try GRPCServer(
            configuration: .init(
                address: "127.0.0.1:0", keepaliveTime: .seconds(10), keepaliveTimeout: .seconds(5),
                permitKeepaliveWithoutCalls: true, shutdownGracePeriod: .milliseconds(200)),
            router: router, logger: .init(label: "test"))
        let client = GRPCClient(
            target: "127.0.0.1:\(server.port)",
            configuration: .init(keepaliveTime: .seconds(10), keepaliveTimeout: .seconds(5)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await server.serve() }
            let response = try await client.unary(path: "/test.Echo/Unary", request: [9])
            #expect(response.message == [9])
            await client.close()
            server.beginGracefulShutdown()
        }
    }
}
