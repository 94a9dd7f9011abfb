import ArgumentParser
import GRPCInterop

/// How a `--watch` survives a lost connection: the watch stream is opened again after a
/// short backoff (0.2 s doubling up to 2 s), at most `--retries` times in a row, then the
/// command exits with 5.
struct ReconnectOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Reconnection attempts in a row during --watch before giving up (exit 5).", valueName: "count"))
    var retries = 5

    func validate() throws {
        guard retries >= 0 else { throw ValidationError("--retries must be 0 or more") }
    }

    /// Runs `watch` (which opens a stream and consumes it until it ends) and runs it again
    /// when the server is unavailable. `watch` calls `progressed` on each message, which
    /// resets the count of attempts.
    func run(
        _ connection: ConnectionOptions,
        _ watch: (GRPCClient, _ progressed: () -> Void) async throws -> Void
    ) async throws {
        var failures = 0
        while true {
            do {
                try await connection.withClient { client in
                    try await watch(client) { failures = 0 }
                }
                return
            } catch let error as RPCError where error.code == .unavailable {
                failures += 1
                guard failures <= retries else {
                    throw Failure(
                        message: "UNAVAILABLE: connection lost \(failures) times in a row: \(error.message)",
                        exitCode: ExitCodes.unavailable)
                }
                let delay = min(2_000, 200 << min(failures - 1, 4))
                Terminal.printNote("connection lost (\(error.message)); reconnecting in \(Double(delay) / 1000)s (attempt \(failures)/\(retries))")
                try await Task.sleep(for: .milliseconds(delay))
            }
        }
    }
}
