import ArgumentParser
import Foundation
import GRPCInterop
import HeraldServer
import Logging

/// heraldd: the Herald delivery engine's gRPC server.
@main
struct Heraldd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heraldd",
        abstract: "Herald's delivery engine: a gRPC server that prepares and sends email deliveries.")

    @Option(name: .customLong("grpc-address"), help: "host:port of the gRPC server (env HERALD_GRPC_ADDRESS).")
    var grpcAddress: String = ProcessInfo.processInfo.environment["HERALD_GRPC_ADDRESS"] ?? "127.0.0.1:50051"

    @Option(name: .customLong("max-message-size"), help: "Largest gRPC message in bytes (env HERALD_MAX_MESSAGE_SIZE).")
    var maxMessageSize: Int = Int(ProcessInfo.processInfo.environment["HERALD_MAX_MESSAGE_SIZE"] ?? "") ?? 4 * 1024 * 1024

    @Option(name: .customLong("shutdown-grace"), help: "Seconds given to calls in flight on shutdown (env HERALD_SHUTDOWN_GRACE).")
    var shutdownGrace: Double = Double(ProcessInfo.processInfo.environment["HERALD_SHUTDOWN_GRACE"] ?? "") ?? 10

    @Option(name: .customLong("database"), help: "The SQLite database file, created when missing (env HERALD_DATABASE).")
    var database: String = ProcessInfo.processInfo.environment["HERALD_DATABASE"] ?? "./herald.sqlite"

    @Option(name: .customLong("tracking-url"), help: "Base URL of the tracking endpoint in rendered links (env HERALD_TRACKING_URL).")
    var trackingURL: String = ProcessInfo.processInfo.environment["HERALD_TRACKING_URL"] ?? "http://127.0.0.1:8080"

    @Option(name: .customLong("tracking-address"), help: "host:port of the tracking HTTP endpoint: open pixel, clicks, unsubscribe (env HERALD_TRACKING_ADDRESS).")
    var trackingAddress: String = ProcessInfo.processInfo.environment["HERALD_TRACKING_ADDRESS"] ?? "127.0.0.1:8080"

    @Option(
        name: .customLong("tracking-key"),
        help: ArgumentHelp(
            "A tracking token signing key KEYID:SECRET, repeatable; the first signs, all verify (env HERALD_TRACKING_KEYS, comma-separated).",
            discussion: "KEYID is 1-32 of A-Z a-z 0-9 - _; SECRET is at least 16 bytes. With no key, heraldd generates a random key once and keeps it in the database, so tokens stay valid across restarts."))
    var trackingKeys: [String] = []  // HERALD_TRACKING_KEYS is read in run(): a default would print the secrets in --help.

    @Option(name: .customLong("machine-open-seconds"), help: "An open within this many seconds of the send counts as a machine open (env HERALD_MACHINE_OPEN_SECONDS).")
    var machineOpenSeconds: Int = Int(ProcessInfo.processInfo.environment["HERALD_MACHINE_OPEN_SECONDS"] ?? "") ?? 5

    @Option(name: .customLong("smtp"), help: "An SMTP relay HOST:PORT, repeatable (env HERALD_SMTP, comma-separated); none: a capture relay on loopback.")
    var smtp: [String] = (ProcessInfo.processInfo.environment["HERALD_SMTP"] ?? "").split(separator: ",").map(String.init)

    @Option(name: .customLong("capture-dir"), help: "Where the capture relay writes .eml files when no --smtp is given (env HERALD_CAPTURE_DIR).")
    var captureDir: String = ProcessInfo.processInfo.environment["HERALD_CAPTURE_DIR"] ?? "./outbox"

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env HERALD_LOG_LEVEL).")
    var logLevel: String = ProcessInfo.processInfo.environment["HERALD_LOG_LEVEL"] ?? "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("unknown log level '\(logLevel)'")
        }
        guard maxMessageSize > 0 else { throw ValidationError("--max-message-size must be positive") }
        guard shutdownGrace >= 0 else { throw ValidationError("--shutdown-grace must not be negative") }
        guard let url = URL(string: trackingURL), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
              url.host?.isEmpty == false
        else { throw ValidationError("--tracking-url must be an absolute http(s) URL (got '\(trackingURL)')") }
        guard machineOpenSeconds >= 0 else { throw ValidationError("--machine-open-seconds must not be negative") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "heraldd")
        var configuration = HeraldServer.Configuration(
            grpcAddress: grpcAddress,
            maxMessageLength: maxMessageSize,
            shutdownGracePeriod: .milliseconds(Int(shutdownGrace * 1000)),
            databasePath: database)
        configuration.preparation.trackingBaseURL = trackingURL
        configuration.smtpRelays = smtp
        configuration.captureDirectory = captureDir
        configuration.trackingAddress = trackingAddress
        configuration.trackingKeys = trackingKeys.isEmpty
            ? (ProcessInfo.processInfo.environment["HERALD_TRACKING_KEYS"] ?? "").split(separator: ",").map(String.init)
            : trackingKeys
        configuration.trackingRecorder.machineOpenWindowSeconds = machineOpenSeconds
        let server = HeraldServer(configuration: configuration, logger: logger)
        do {
            try await server.run(handleTerminationSignals: true) { grpc in
                let host = grpcAddress.split(separator: ":").dropLast().joined(separator: ":")
                logger.info("heraldd ready on \(host):\(grpc.port): try `grpcurl -plaintext \(host):\(grpc.port) list`")
            }
        } catch let error as RPCError {
            logger.critical("cannot start: \(error.message)")
            throw ExitCode(1)
        } catch let error as HeraldServer.StartupError {
            logger.critical("cannot start: \(error.message)")
            throw ExitCode(1)
        }
    }
}
