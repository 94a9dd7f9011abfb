public import GRPCInterop
import HeraldCore
import HeraldProtos
import HeraldRPC
import HeraldStore
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

    /// Opens the database, binds the address and serves until the calling task is
    /// cancelled, SIGINT or SIGTERM arrives (when `handleTerminationSignals`), or the
    /// server handed to `onStarted` is shut down; returns after a graceful shutdown and
    /// closes the database.
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
        var router = RPCRouter()
        health.register(into: &router)
        reflection.register(into: &router)
        ProfileService(profiles: store, idempotency: store, logger: logger).register(into: &router)
        DeliveryService(deliveries: store, idempotency: store, logger: logger).register(into: &router)

        var grpc = GRPCServer.Configuration(address: configuration.grpcAddress)
        grpc.maxReceiveMessageLength = configuration.maxMessageLength
        grpc.maxSendMessageLength = configuration.maxMessageLength
        grpc.shutdownGracePeriod = configuration.shutdownGracePeriod
        grpc.keepaliveTime = configuration.keepaliveTime
        grpc.maxConnectionAge = configuration.maxConnectionAge
        let server = try GRPCServer(configuration: grpc, router: router, logger: logger)
        server.onShutdown { health.enterShutdown() }
        let signalSources = handleTerminationSignals
            ? onTerminationSignal { [logger] name in
                logger.info("received \(name): shutting down gracefully")
                server.beginGracefulShutdown()
            } : []
        defer { signalSources.forEach { $0.cancel() } }
        onStarted(server)
        await server.serve()
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

        public init(
            grpcAddress: String = "127.0.0.1:50051",
            maxMessageLength: Int = 4 * 1024 * 1024,
            shutdownGracePeriod: Duration = .seconds(10),
            keepaliveTime: Duration? = nil,
            maxConnectionAge: Duration? = nil,
            databasePath: String = "./herald.sqlite"
        ) {
            self.grpcAddress = grpcAddress
            self.maxMessageLength = maxMessageLength
            self.shutdownGracePeriod = shutdownGracePeriod
            self.keepaliveTime = keepaliveTime
            self.maxConnectionAge = maxConnectionAge
            self.databasePath = databasePath
        }

        public static var defaults: Configuration { Configuration() }
    }
}
