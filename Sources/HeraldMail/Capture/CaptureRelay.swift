public import Logging
internal import NIOCore
internal import NIOPosix

/// A small real SMTP server on loopback that stores every message it receives as an
/// `.eml` file: Herald's relay for development, the demo and tests.
///
/// It speaks EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP and QUIT, offers PIPELINING,
/// 8BITMIME, SIZE and ENHANCEDSTATUSCODES, removes the dot-stuffing, and writes each
/// message as `<directory>/<timestamp>-<counter>.eml` through a temporary file and a
/// rename, with the envelope in `X-Herald-Envelope-From` and `X-Herald-Envelope-To`
/// headers before the message's own. It answers 250 to the data only once the file is
/// in place. ``Configuration/recipientResponses`` makes it refuse chosen recipients.
public final class CaptureRelay: Sendable {
    /// The port the relay listens on (the chosen one when the configuration said 0).
    public let port: Int
    /// The folder the messages go to.
    public let directory: String

    private let serverChannel: any Channel
    private let children: ChannelRegistry
    private let store: CaptureStore
    private let logger: Logger

    private init(port: Int, directory: String, serverChannel: any Channel, children: ChannelRegistry, store: CaptureStore, logger: Logger) {
        self.port = port
        self.directory = directory
        self.serverChannel = serverChannel
        self.children = children
        self.store = store
        self.logger = logger
    }

    /// Binds the listening socket and starts accepting connections.
    public static func start(configuration: Configuration, logger: Logger) async throws -> CaptureRelay {
        let store = try CaptureStore(directory: configuration.directory)
        let registry = ChannelRegistry()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                registry.add(child)
                return child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(LineDecoder(maxLineLength: 1 << 20)),
                        CaptureSessionHandler(configuration: configuration, store: store)
                    )
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        let port = channel.localAddress?.port ?? configuration.port
        logger.info("capture relay listening", metadata: ["herald.capture.port": "\(port)", "herald.capture.directory": "\(configuration.directory)"])
        return CaptureRelay(port: port, directory: configuration.directory, serverChannel: channel, children: registry, store: store, logger: logger)
    }

    /// What the relay has seen so far.
    public var statistics: Statistics { store.statistics.withLock { $0 } }

    /// Stops accepting connections, then closes the open ones. Messages already
    /// answered with 250 are on disk; a message in the middle of its data is dropped.
    public func shutdown() async {
        try? await serverChannel.close()
        let open = children.channels.withLock { Array($0.values) }
        for child in open {
            try? await child.close()
        }
        logger.info("capture relay stopped", metadata: ["herald.capture.port": "\(port)"])
    }
}
