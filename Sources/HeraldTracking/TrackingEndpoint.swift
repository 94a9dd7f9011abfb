public import HeraldCore
import Hummingbird
import HummingbirdCore
public import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The tracking HTTP endpoint (Hummingbird 2):
/// - `GET /o/{token}`: records an open, answers a 1×1 transparent GIF that no cache keeps;
/// - `GET /c/{token}`: records a click, answers 302 to the original link
///   (``TrackedLinkResolver``);
/// - `GET /u/{token}`: a small page with a form that confirms the unsubscribe;
/// - `POST /u/{token}`: RFC 8058 one-click unsubscribe (body
///   `List-Unsubscribe=One-Click`, also what the page's form posts): the profile becomes
///   UNSUBSCRIBED and an unsubscribe is recorded.
///
/// A token that does not verify (``HMACTrackingTokens/verify(_:)``), that is of another
/// action than the path's, or whose message is not in the ledger answers 404 and records
/// nothing. Each answer is sent after its event is committed (``TrackingRecorder``).
///
/// Opens, the bulk of the traffic, take a fast path on the event loop
/// (``OpenPixelChannelHandler``): same answers, same guarantees, no task per request.
public struct TrackingEndpoint: Sendable {
    /// Where and how the endpoint listens.
    public struct Configuration: Sendable {
        /// `host:port` to bind; port 0 picks a free port (see ``run(onStarted:)``).
        public var address: String

        /// `127.0.0.1:8080`.
        public static var defaults: Configuration { Configuration(address: "127.0.0.1:8080") }

        /// Creates a configuration.
        public init(address: String) {
            self.address = address
        }
    }

    /// Why the endpoint cannot start.
    public struct StartupError: Error, CustomStringConvertible {
        /// One line of English.
        public var message: String
        public var description: String { message }
    }

    /// The 1×1 transparent GIF of open pixels (43 bytes).
    public static let pixel: [UInt8] = [
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF,
        0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
        0x02, 0x44, 0x01, 0x00, 0x3B,
    ]

    let configuration: Configuration
    let tokens: HMACTrackingTokens
    let store: any TrackingEventStore
    let recorder: TrackingRecorder
    let links: TrackedLinkResolver
    let now: @Sendable () -> Timestamp
    let logger: Logger

    /// Creates the endpoint.
    public init(
        configuration: Configuration, tokens: HMACTrackingTokens, store: any TrackingEventStore, recorder: TrackingRecorder,
        links: TrackedLinkResolver, now: @escaping @Sendable () -> Timestamp, logger: Logger
    ) {
        self.configuration = configuration
        self.tokens = tokens
        self.store = store
        self.recorder = recorder
        self.links = links
        self.now = now
        self.logger = logger
    }

    /// Serves until ``Handle/shutdown()`` (graceful: requests in flight are answered) or
    /// until the calling task is cancelled. `onStarted` gets the handle and the bound port.
    ///
    /// - Throws: ``StartupError`` when the address is invalid or cannot be bound.
    public func run(onStarted: @escaping @Sendable (Handle, Int) -> Void = { _, _ in }) async throws {
        guard let colon = configuration.address.lastIndex(of: ":"), let port = Int(configuration.address[configuration.address.index(after: colon)...]),
              (0...65_535).contains(port)
        else { throw StartupError(message: "invalid tracking address '\(configuration.address)' (expected HOST:PORT)") }
        var host = String(configuration.address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let router = Router(context: BasicRequestContext.self)
        let handlers = Handlers(endpoint: self)
        router.get("/o/:token") { request, context in try await handlers.open(request, context) }
        router.get("/c/:token") { request, context in try await handlers.click(request, context) }
        router.get("/u/:token") { request, context in try await handlers.unsubscribePage(request, context) }
        router.post("/u/:token") { request, context in try await handlers.unsubscribe(request, context) }
        let handle = Handle()
        let fastPath = OpenPixelFastPath(tokens: tokens, recorder: recorder, now: now)
        let app = Application(
            router: router,
            server: HTTPServerBuilder { responder in TrackingHTTP1Channel(responder: responder, fastPath: fastPath) },
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                onStarted(handle, channel.localAddress?.port ?? port)
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [app], logger: logger))
        handle.attach(group)
        do {
            try await group.run()
        } catch {
            throw StartupError(message: "tracking endpoint on \(configuration.address) failed: \(error)")
        }
    }

    /// Shuts a running endpoint down gracefully.
    public final class Handle: Sendable {
        private let state = Mutex<(group: ServiceGroup?, shutdownRequested: Bool)>((nil, false))

        init() {}

        fileprivate func attach(_ group: ServiceGroup) {
            let early = state.withLock { state -> Bool in
                state.group = group
                return state.shutdownRequested
            }
            if early { Task { await group.triggerGracefulShutdown() } }
        }

        /// Stops accepting connections, answers the requests in flight, then ``run(onStarted:)`` returns.
        public func shutdown() async {
            let group = state.withLock { state -> ServiceGroup? in
                state.shutdownRequested = true
                return state.group
            }
            await group?.triggerGracefulShutdown()
        }
    }
}
