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

    @Option(name: .customLong("smtp-max-sessions"), help: "SMTP sessions open at once, also the messages in flight per delivery (env HERALD_SMTP_MAX_SESSIONS).")
    var smtpMaxSessions: Int = Int(ProcessInfo.processInfo.environment["HERALD_SMTP_MAX_SESSIONS"] ?? "") ?? 8

    @Option(name: .customLong("smtp-max-per-domain"), help: "Messages in flight at once to one recipient domain (env HERALD_SMTP_MAX_PER_DOMAIN).")
    var smtpMaxPerDomain: Int = Int(ProcessInfo.processInfo.environment["HERALD_SMTP_MAX_PER_DOMAIN"] ?? "") ?? 4

    @Option(name: .customLong("smtp-starttls"), help: "off, opportunistic or required (env HERALD_SMTP_STARTTLS).")
    var smtpStartTLS: String = ProcessInfo.processInfo.environment["HERALD_SMTP_STARTTLS"] ?? "off"

    @Option(name: .customLong("smtp-ca-file"), help: "PEM trust roots for the relay's certificate, e.g. a private relay's CA (env HERALD_SMTP_CA_FILE).")
    var smtpCAFile: String = ProcessInfo.processInfo.environment["HERALD_SMTP_CA_FILE"] ?? ""

    @Option(name: .customLong("smtp-user"), help: "SMTP AUTH user name (env HERALD_SMTP_USER); AUTH is sent only after STARTTLS.")
    var smtpUser: String = ProcessInfo.processInfo.environment["HERALD_SMTP_USER"] ?? ""

    @Option(name: .customLong("smtp-password"), help: "SMTP AUTH password (env HERALD_SMTP_PASSWORD, preferred: not visible in ps); never logged.")
    var smtpPassword: String = ProcessInfo.processInfo.environment["HERALD_SMTP_PASSWORD"] ?? ""

    @Flag(name: .customLong("smtp-auth-without-tls-on-loopback"), help: "Allow AUTH without TLS when the relay is on loopback (a local submission agent, tests).")
    var smtpAuthWithoutTLSOnLoopback = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env HERALD_LOG_LEVEL).")
    var logLevel: String = ProcessInfo.processInfo.environment["HERALD_LOG_LEVEL"] ?? "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("unknown log level '\(logLevel)'")
        }
        guard maxMessageSize > 0 else { throw ValidationError("--max-message-size must be positive") }
        guard smtpMaxSessions > 0, smtpMaxPerDomain > 0 else {
            throw ValidationError("--smtp-max-sessions and --smtp-max-per-domain must be positive")
        }
        guard SMTPSettings.StartTLS(rawValue: smtpStartTLS) != nil else {
            throw ValidationError("--smtp-starttls must be off, opportunistic or required (got '\(smtpStartTLS)')")
        }
        if !smtpCAFile.isEmpty, !FileManager.default.isReadableFile(atPath: smtpCAFile) {
            throw ValidationError("--smtp-ca-file '\(smtpCAFile)' cannot be read")
        }
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
        configuration.smtp.maxSessions = smtpMaxSessions
        configuration.smtp.maxPerDomain = smtpMaxPerDomain
        configuration.smtp.startTLS = SMTPSettings.StartTLS(rawValue: smtpStartTLS) ?? .off
        configuration.smtp.caFile = smtpCAFile.isEmpty ? nil : smtpCAFile
        configuration.smtp.username = smtpUser.isEmpty ? nil : smtpUser
        configuration.smtp.password = smtpPassword
        configuration.smtp.allowsPlaintextAuthOnLoopback = smtpAuthWithoutTLSOnLoopback
        // As many messages in flight as sessions: a message counts as in flight until its
        // outcome is committed, so after a kill -9 the relay holds at most one copy more of
        // at most this many messages (issue 5's crash bound).
        configuration.sending.maxInFlight = smtpMaxSessions
        configuration.sending.maxPerDomain = smtpMaxPerDomain
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
