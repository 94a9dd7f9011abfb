import ArgumentParser
import Foundation
import GRPCInterop

/// The options every command takes: where the server is, how long a call may take,
/// and whether to print JSON.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The server as HOST:PORT (env HERALD_SERVER).", valueName: "host:port"))
    var server: String = ProcessInfo.processInfo.environment["HERALD_SERVER"].flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1:50051"

    @Option(name: .long, help: ArgumentHelp("Seconds each call may take.", valueName: "seconds"))
    var timeout: Double?

    @Flag(name: .long, help: "Print JSON, one object per line.")
    var json = false

    func validate() throws {
        if let timeout, !(timeout > 0) {
            throw ValidationError("--timeout must be a positive number of seconds")
        }
        let parts = server.split(separator: ":")
        guard parts.count >= 2, let port = Int(parts.last!), (1...65_535).contains(port) else {
            throw ValidationError("--server must be HOST:PORT, got '\(server)'")
        }
    }

    /// Options of each call.
    var callOptions: CallOptions {
        CallOptions(timeout: timeout.map { .milliseconds(Int64(($0 * 1000).rounded())) })
    }

    /// Lends a client of the server to `body` and closes it afterwards.
    func withClient<Result: Sendable>(_ body: (GRPCClient) async throws -> Result) async throws -> Result {
        let client = GRPCClient(target: server)
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }
}
