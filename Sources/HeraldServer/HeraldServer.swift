public import GRPCInterop
public import HeraldCore
import HeraldMail
import HeraldPersonalization
import HeraldProtos
import HeraldRPC
import HeraldStore
public import HeraldTracking
public import Logging

/// The Herald gRPC server: the herald.v1 services, health and reflection on one
/// port, wired from a ``Configuration``.
public struct HeraldServer: Sendable {
    /// The herald.v1 services reflection describes (implemented ones are also
    /// registered; the rest answer UNIMPLEMENTED until they are built).
    public static let heraldServices = [
        Herald_V1_DeliveryService.descriptorName,
        Herald_V1_ProfileService.descriptorName,
        Herald_V1_TrackingService.descriptorName,
    ]

    public let configuration: Configuration
    private let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Opens the database, returns the deliveries a previous process left PREPARING to
    /// DRAFT, binds the address and serves until the calling task is cancelled, SIGINT or
    /// SIGTERM arrives (when `handleTerminationSignals`), or the server handed to
    /// `onStarted` is shut down; returns after a graceful shutdown (running preparations
    /// are stopped as it begins, which ends their watch streams) and closes the database.
    ///
    /// - Throws: ``StartupError`` when the database cannot be opened.
    public func run(
        handleTerminationSignals: Bool = false,
        onStarted: @Sendable (GRPCServer) -> Void = { _ in }
    ) async throws {
        let health = HealthService(services: Self.heraldServices)
        let reflection = ReflectionService(services: Self.heraldServices + [
            Grpc_Health_V1_Health.descriptorName,
            Grpc_Reflection_V1_ServerReflection.descriptorName,
            Grpc_Reflection_V1alpha_ServerReflection.descriptorName,
        ])
        let store = try openStore()
        defer { try? store.close() }
        let tokens = try await trackingTokens(store)
        let engine = PreparationEngine(
            deliveries: store, store: store, renderer: MustacheMessageRenderer(), signer: tokens,
            configuration: configuration.preparation, now: SystemClock.now, logger: logger
        )
        try await recoverInterrupted(engine)
        let mail = try await startMailTransport()
        let sending = SendingEngine(
            deliveries: store, store: store, preparations: store, profiles: store, renderer: MustacheMessageRenderer(),
            preparationEngine: engine, transport: mail.transport, composer: MIMEMessageComposer(),
            configuration: configuration.sending, now: SystemClock.now, logger: logger
        )
        let resumed = try await sending.recover()
        if !resumed.isEmpty {
            logger.notice("sending resumed", metadata: ["herald.delivery.ids": "\(resumed.joined(separator: ","))"])
        }
        // The live KPIs: told about every committed tracking change by the recorder.
        let kpis = KPIBoard(deliveries: store, progress: sending, engagement: store, now: SystemClock.now, logger: logger)
        let recorder = TrackingRecorder(
            store: store, observer: kpis, configuration: configuration.trackingRecorder, logger: logger
        )
        let links = TrackedLinkResolver(
            deliveries: store, profiles: store, renderer: MustacheMessageRenderer(),
            options: RenderingOptions(trackingBaseURL: configuration.preparation.trackingBaseURL, signer: tokens)
        )
        let endpoint = TrackingEndpoint(
            configuration: TrackingEndpoint.Configuration(address: configuration.trackingAddress), tokens: tokens, store: store,
            recorder: recorder, links: links, now: SystemClock.now, logger: logger
        )
        var router = RPCRouter()
        health.register(into: &router)
        reflection.register(into: &router)
        ProfileService(profiles: store, idempotency: store, logger: logger).register(into: &router)
        DeliveryService(
            deliveries: store, preparations: store, engine: engine, sending: sending, ledger: store, kpis: kpis,
            idempotency: store, logger: logger
        ).register(into: &router)
        TrackingService(
            tokens: tokens, recorder: recorder, store: store, links: links, idempotency: store, logger: logger
        ).register(into: &router)

        var grpc = GRPCServer.Configuration(address: configuration.grpcAddress)
        grpc.maxReceiveMessageLength = configuration.maxMessageLength
        grpc.maxSendMessageLength = configuration.maxMessageLength
        grpc.shutdownGracePeriod = configuration.shutdownGracePeriod
        grpc.keepaliveTime = configuration.keepaliveTime
        grpc.maxConnectionAge = configuration.maxConnectionAge
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The tracking endpoint first: heraldd does not serve without it. The recorder
            // stops after the endpoint, which stops after the gRPC server: every event
            // accepted by either is committed before run returns.
            let tracking = try await startTracking(endpoint, recorder: recorder, in: &group)
            let server: GRPCServer
            do {
                server = try GRPCServer(configuration: grpc, router: router, logger: logger)
            } catch {
                await tracking.shutdown()
                throw error
            }
            let (shutdownBegan, beginShutdown) = AsyncStream<Void>.makeStream()
            server.onShutdown {
                health.enterShutdown()
                beginShutdown.finish()
            }
            let signalSources = handleTerminationSignals
                ? onTerminationSignal { [logger] name in
                    logger.info("received \(name): shutting down gracefully")
                    server.beginGracefulShutdown()
                } : []
            defer { signalSources.forEach { $0.cancel() } }
            onStarted(server)
            group.addTask {
                for await _ in shutdownBegan {}
                kpis.stop()
                await engine.shutdown()
                await sending.shutdown()
            }
            group.addTask { await kpis.run() }
            await server.serve()
            beginShutdown.finish()
            await tracking.shutdown()
            try await group.waitForAll()
        }
        await sending.shutdown()
        await mail.pool.shutdown()
        await mail.capture?.shutdown()
    }

    /// Starts the recorder's writer loop and the tracking endpoint in `group`; returns
    /// once the endpoint listens.
    ///
    /// - Throws: ``StartupError`` when the endpoint cannot listen.
    private func startTracking(
        _ endpoint: TrackingEndpoint, recorder: TrackingRecorder, in group: inout ThrowingTaskGroup<Void, any Error>
    ) async throws -> TrackingEndpoint.Handle {
        let (started, startedContinuation) = AsyncStream<Result<TrackingEndpoint.Handle, any Error>>.makeStream()
        group.addTask { await recorder.run() }
        group.addTask { [logger] in
            do {
                try await endpoint.run { handle, port in
                    logger.info("tracking endpoint listening", metadata: ["herald.tracking.port": "\(port)"])
                    startedContinuation.yield(.success(handle))
                }
            } catch {
                startedContinuation.yield(.failure(error))
            }
            startedContinuation.finish()
            recorder.shutdown()
        }
        for await result in started {
            switch result {
            case .success(let handle):
                return handle
            case .failure(let error):
                throw StartupError(message: "cannot start the tracking endpoint on \(configuration.trackingAddress): \(error)")
            }
        }
        throw StartupError(message: "the tracking endpoint on \(configuration.trackingAddress) stopped at start")
    }

    /// The token signer: the configured keys (the first signs), then the keys kept in
    /// the database (verify only). With no configured key, a random 256-bit key is
    /// generated once and kept in the database, so tokens stay valid across restarts.
    private func trackingTokens(_ store: SQLiteStore) async throws -> HMACTrackingTokens {
        do {
            var keys = try configuration.trackingKeys.map { text throws(TrackingKey.Error) in try TrackingKey(parsing: text) }
            var stored = try await store.trackingKeys()
            if keys.isEmpty && stored.isEmpty {
                var generator = SystemRandomNumberGenerator()
                let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let id = "auto-" + String(UInt32.random(in: 0...UInt32.max, using: &generator), radix: 16)
                try await store.addTrackingKey(id: id, secret: secret, at: SystemClock.now())
                stored = try await store.trackingKeys()
                logger.notice("generated a tracking key and stored it in the database", metadata: ["herald.tracking.key": "\(id)"])
            }
            for (id, secret) in stored where !keys.contains(where: { $0.id == id }) {
                keys.append(try TrackingKey(id: id, secret: secret))
            }
            return try HMACTrackingTokens(keys: keys)
        } catch let error as TrackingKey.Error {
            throw StartupError(message: error.message)
        } catch let error as HeraldError {
            throw StartupError(message: "cannot read the tracking keys: \(error.message)")
        }
    }

    /// Returns deliveries left PREPARING by a previous process to DRAFT.
    private func recoverInterrupted(_ engine: PreparationEngine) async throws {
        do {
            let recovered = try await engine.recoverInterrupted()
            if !recovered.isEmpty {
                logger.notice(
                    "preparations interrupted by the previous process were reset to DRAFT",
                    metadata: ["herald.delivery.ids": "\(recovered.joined(separator: ","))"]
                )
            }
        } catch {
            throw StartupError(message: "cannot reset the preparations a previous process left running: \(error)")
        }
    }

    /// The SMTP pool over the configured relays, or over a capture relay on loopback
    /// (started here) writing to ``Configuration/captureDirectory`` when none is configured.
    private func startMailTransport() async throws -> (transport: SMTPMailTransport, pool: SMTPPool, capture: CaptureRelay?) {
        var relays: [SMTPRelay] = []
        for text in configuration.smtpRelays {
            guard let relay = SMTPRelay(text) else { throw StartupError(message: "invalid SMTP relay '\(text)' (expected HOST:PORT)") }
            relays.append(relay)
        }
        var capture: CaptureRelay?
        if relays.isEmpty {
            do {
                let relay = try await CaptureRelay.start(
                    configuration: CaptureRelay.Configuration(directory: configuration.captureDirectory), logger: logger
                )
                relays = [SMTPRelay(host: "127.0.0.1", port: relay.port)]
                capture = relay
            } catch {
                throw StartupError(message: "cannot start the capture relay in '\(configuration.captureDirectory)': \(error)")
            }
        }
        let pool = SMTPPool(configuration: configuration.smtp.poolConfiguration(relays: relays), logger: logger)
        return (SMTPMailTransport(pool: pool), pool, capture)
    }

    private func openStore() throws -> SQLiteStore {
        do {
            return try SQLiteStore(path: configuration.databasePath, logger: logger)
        } catch let error as HeraldError {
            let cause = error.cause.map { ": \($0)" } ?? ""
            throw StartupError(message: "\(error.message)\(cause)")
        }
    }

    /// Why the server could not start (e.g. the database cannot be opened).
    public struct StartupError: Error, CustomStringConvertible {
        /// One line of English.
        public var message: String
        public var description: String { message }
    }
}

extension HeraldServer {
    /// What heraldd is configured with (flags and `HERALD_*` environment variables).
    public struct Configuration: Sendable {
        /// `host:port` of the gRPC server.
        public var grpcAddress: String
        /// Largest message received or sent.
        public var maxMessageLength: Int
        /// Time given to calls in flight when shutting down.
        public var shutdownGracePeriod: Duration
        /// Keepalive ping interval (`nil`: the core's default).
        public var keepaliveTime: Duration?
        /// Connections older than this get GOAWAY (`nil`: no limit).
        public var maxConnectionAge: Duration?
        /// The SQLite database file (created when missing).
        public var databasePath: String
        /// How preparations run; its ``PreparationEngine/Configuration/trackingBaseURL`` is
        /// the tracking endpoint that rendered links and open pixels point to
        /// (`http://127.0.0.1:8080` by default).
        public var preparation: PreparationEngine.Configuration
        /// The SMTP relays (`HOST:PORT`); when empty, a capture relay on loopback writing
        /// `.eml` files to ``captureDirectory`` receives every message.
        public var smtpRelays: [String] = []
        /// Where the capture relay writes when no SMTP relay is configured.
        public var captureDirectory: String = "./outbox"
        /// How sending runs (in-flight bound, retries).
        public var sending: SendingEngine.Configuration = .defaults
        /// SMTP sessions, STARTTLS and AUTH.
        public var smtp: SMTPSettings = .defaults
        /// `host:port` of the tracking HTTP endpoint; port 0 (the default here, for tests
        /// and embedding) takes a free port. heraldd defaults to `127.0.0.1:8080`.
        public var trackingAddress: String = "127.0.0.1:0"
        /// Tracking signing keys `KEYID:SECRET`, the first signs; when empty, a key is
        /// generated once and kept in the database.
        public var trackingKeys: [String] = []
        /// How tracking events are batched, and the machine-open window.
        public var trackingRecorder: TrackingRecorder.Configuration = .defaults

        public init(
            grpcAddress: String = "127.0.0.1:50051",
            maxMessageLength: Int = 4 * 1024 * 1024,
            shutdownGracePeriod: Duration = .seconds(10),
            keepaliveTime: Duration? = nil,
            maxConnectionAge: Duration? = nil,
            databasePath: String = "./herald.sqlite",
            preparation: PreparationEngine.Configuration = Configuration.defaultPreparation
        ) {
            self.grpcAddress = grpcAddress
            self.maxMessageLength = maxMessageLength
            self.shutdownGracePeriod = shutdownGracePeriod
            self.keepaliveTime = keepaliveTime
            self.maxConnectionAge = maxConnectionAge
            self.databasePath = databasePath
            self.preparation = preparation
        }

        public static var defaults: Configuration { Configuration() }

        /// The engine's defaults with the tracking endpoint at `http://127.0.0.1:8080`.
        public static var defaultPreparation: PreparationEngine.Configuration {
            var preparation = PreparationEngine.Configuration.defaults
            preparation.trackingBaseURL = "http://127.0.0.1:8080"
            return preparation
        }
    }
}
