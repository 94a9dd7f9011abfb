import GRPCInterop
import Logging
import Synchronization
import Testing

/// Runs a server on 127.0.0.1 with an ephemeral port and a client connected to it,
/// then shuts both down.
func withServer<R: Sendable>(
    _ router: RPCRouter,
    configure: (inout GRPCServer.Configuration) -> Void = { _ in },
    _ body: (GRPCServer, GRPCClient) async throws -> R
) async throws -> R {
    var configuration = GRPCServer.Configuration(address: "127.0.0.1:0", shutdownGracePeriod: .seconds(1))
    configure(&configuration)
    let server = try GRPCServer(configuration: configuration, router: router, logger: Logger(label: "test"))
    let client = GRPCClient(target: "127.0.0.1:\(server.port)")
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await server.serve() }
        do {
            let result = try await body(server, client)
            await client.close()
            server.beginGracefulShutdown()
            try await group.waitForAll()
            return result
        } catch {
            await client.close()
            server.beginGracefulShutdown()
            try await group.waitForAll()
            throw error
        }
    }
}

/// A flag set from one task and awaited from another.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }

    /// Polls until set or until `timeout` passes; returns whether it was set.
    func wait(timeout: Duration = .seconds(30)) async -> Bool {
        let end = ContinuousClock.now + timeout
        while !isSet && ContinuousClock.now < end {
            try? await Task.sleep(for: .milliseconds(5))
        }
        return isSet
    }
}

extension Array where Element == UInt8 {
    init(_ string: String) { self = Array(string.utf8) }
}
