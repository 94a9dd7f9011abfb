import Foundation
import GRPCInterop
import HeraldProtos
import HeraldRPC

/// The heraldd that `herald demo` runs: started in a folder of its own with its embedded
/// defaults (`./herald.sqlite`, the capture relay writing `./outbox`), on a free loopback
/// port, with the tracking endpoint on another when this heraldd has one.
struct DemoServer: Sendable {
    /// The process.
    let process: ChildProcess
    /// The gRPC address, `127.0.0.1:PORT`.
    let address: String
    /// The folder it runs in.
    let folder: String
    /// The tracking endpoint's base URL, when heraldd serves one.
    let trackingBase: String?

    /// Where heraldd writes its log.
    var logPath: String { folder + "/heraldd.log" }
    /// Where the capture relay writes the messages.
    var outbox: String { folder + "/outbox" }

    /// What `executable --help` prints (to learn which optional flags it has).
    static func help(_ executable: String, folder: String) async throws -> String {
        let helpPath = folder + "/heraldd-help.txt"
        let help = try ChildProcess.spawn(executable, ["--help"], directory: folder, logPath: helpPath)
        let deadline = ContinuousClock.now + .seconds(20)
        while help.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        await help.stop(grace: .seconds(1))
        defer { try? FileManager.default.removeItem(atPath: helpPath) }
        return (FileManager.default.contents(atPath: helpPath)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// Starts `executable` in `folder`.
    ///
    /// With `trackingPort`, the tracking endpoint listens there and the rendered links
    /// point at it; with `humanOpens`, no open counts as a machine open however soon it
    /// follows the send (the simulated audience opens at once, as people it stands for).
    static func start(_ executable: String, folder: String, grpcPort: UInt16, trackingPort: UInt16?, humanOpens: Bool) throws -> DemoServer {
        var arguments = ["--grpc-address", "127.0.0.1:\(grpcPort)", "--log-level", "warning", "--shutdown-grace", "2"]
        var trackingBase: String?
        if let trackingPort {
            trackingBase = "http://127.0.0.1:\(trackingPort)"
            arguments += ["--tracking-address", "127.0.0.1:\(trackingPort)", "--tracking-url", "http://127.0.0.1:\(trackingPort)"]
        }
        if humanOpens {
            arguments += ["--machine-open-seconds", "0"]
        }
        let process = try ChildProcess.spawn(executable, arguments, directory: folder, logPath: folder + "/heraldd.log")
        return DemoServer(process: process, address: "127.0.0.1:\(grpcPort)", folder: folder, trackingBase: trackingBase)
    }

    /// Waits until the health service answers SERVING (at most `timeout`).
    func waitUntilServing(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        var lastProblem = "no answer"
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw Failure.other("heraldd ended (\(process.describeExit())) before serving; the end of its log:\n\(logTail())")
            }
            let client = GRPCClient(target: address)
            do {
                let response = try await client.call(
                    Grpc_Health_V1_Health.check, Grpc_Health_V1_HealthCheckRequest(), options: CallOptions(timeout: .seconds(1)))
                await client.close()
                if response.status == .serving { return }
                lastProblem = "health status \(response.status)"
            } catch {
                await client.close()
                lastProblem = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(message: "UNAVAILABLE: heraldd did not serve on \(address) in time (\(lastProblem))", exitCode: ExitCodes.unavailable)
    }

    /// Stops heraldd: SIGTERM, then SIGKILL after `grace`. Returns true when it ended
    /// within the grace period.
    @discardableResult
    func stop(grace: Duration = .seconds(15)) async -> Bool {
        await process.stop(grace: grace)
    }

    /// The last lines of heraldd's log.
    func logTail(lines: Int = 20) -> String {
        let text = FileManager.default.contents(atPath: logPath).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}
