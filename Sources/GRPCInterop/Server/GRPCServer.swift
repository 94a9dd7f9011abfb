public import Logging

/// A gRPC server on the gRPC core.
///
/// Every method of the ``RPCRouter`` is registered with the core before start, with
/// its request read together with the call; each completion queue (one per core by
/// default) has its own poller thread and many requested calls armed per method.
/// Handlers run as Swift tasks, never on a poller thread. A call that the client
/// cancels, or whose deadline passes, cancels its handler's task.
///
/// ```swift
/// let server = try GRPCServer(configuration: .defaults, router: router, logger: logger)
/// await server.serve()   // until the task is cancelled or beginGracefulShutdown()
/// ```
public final class GRPCServer: Sendable {
    private let core: ServerCore

    /// Creates the server and binds its address; throws when it cannot listen.
    public init(configuration: Configuration = .defaults, router: RPCRouter, logger: Logger) throws {
        core = try ServerCore(configuration: configuration, router: router, logger: logger)
    }

    /// The bound port (useful with port 0).
    public var port: Int { core.port }

    /// Starts serving and returns once the server has shut down. Cancelling the
    /// calling task begins a graceful shutdown.
    public func serve() async {
        core.start()
        await withTaskCancellationHandler {
            await core.waitUntilStopped()
        } onCancel: {
            core.beginShutdown()
        }
    }

    /// Begins a graceful shutdown: GOAWAY to every client, new calls refused, the
    /// calls in flight given the grace period, then cancelled. ``serve()`` returns
    /// when it is over. Safe to call from any thread, more than once.
    public func beginGracefulShutdown() {
        core.beginShutdown()
    }

    /// Runs `observer` when a shutdown begins (before GOAWAY), e.g. to report
    /// NOT_SERVING through the health service.
    public func onShutdown(_ observer: @escaping @Sendable () -> Void) {
        core.addShutdownObserver(observer)
    }
}
