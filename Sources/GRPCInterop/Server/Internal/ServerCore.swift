internal import CGRPC
import Logging
import Synchronization

/// The engine behind ``GRPCServer``: the `grpc_server`, its completion queues, the
/// requested calls, dispatch of arrived calls to handler tasks, and shutdown.
///
/// `@unchecked Sendable`: `server`, `queues`, `methods` and the other stored
/// constants are immutable after `init`; the lifecycle lives in `state` behind a
/// `Mutex`; the core's server functions used here are thread-safe.
final class ServerCore: @unchecked Sendable {
    let server: OpaquePointer
    let port: Int
    let tracker = LiveCallTracker()
    private let queues: [CompletionQueue]
    private let methods: [RegisteredMethod]
    private let configuration: GRPCServer.Configuration
    private let logger: Logger
    private let state = Mutex(State.idle)
    private let shutdownNotified = OneShotSignal()
    private let stopped = OneShotSignal()
    private let observers = Mutex<[@Sendable () -> Void]>([])

    private enum State {
        case idle
        case running
        case shuttingDown
        case stopped
    }

    init(configuration: GRPCServer.Configuration, router: RPCRouter, logger: Logger) throws {
        GRPCLibrary.acquire()
        self.configuration = configuration
        self.logger = logger
        guard let server = configuration.channelArguments.withUnsafeArgs({ grpc_server_create($0, nil) }) else {
            GRPCLibrary.release()
            throw RPCError(code: .internal, message: "grpc_server_create failed")
        }
        self.server = server
        let queueCount = max(1, configuration.completionQueueCount)
        queues = (0..<queueCount).map { CompletionQueue(name: "grpc-server-cq-\($0)") }
        for queue in queues {
            grpc_server_register_completion_queue(server, queue.queue, nil)
        }
        methods = router.handlers.sorted { $0.key < $1.key }.map { path, handler in
            let payloadHandling = handler.readsPayloadWithCall ? GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER : GRPC_SRM_PAYLOAD_NONE
            let handle = grpc_server_register_method(server, path, nil, payloadHandling, 0)!
            return RegisteredMethod(path: path, handle: handle, handler: handler)
        }
        let credentials = grpc_insecure_server_credentials_create()
        let bound = grpc_server_add_http2_port(server, configuration.address, credentials)
        grpc_server_credentials_release(credentials)
        guard bound > 0 else {
            grpc_server_destroy(server)
            for queue in queues { queue.destroyUnpolled() }
            GRPCLibrary.release()
            throw RPCError(
                code: .unavailable,
                message: "grpc_server_add_http2_port: cannot listen on \(configuration.address)")
        }
        port = Int(bound)
    }

    deinit {
        let current = state.withLock { $0 }
        switch current {
        case .idle:
            destroyUnstarted()
        case .stopped:
            break
        case .running, .shuttingDown:
            assertionFailure("GRPCServer released while running: await serve() until it returns")
        }
    }

    func addShutdownObserver(_ observer: @escaping @Sendable () -> Void) {
        observers.withLock { $0.append(observer) }
    }

    // MARK: Running

    func start() {
        let shouldStart = state.withLock { state -> Bool in
            guard case .idle = state else { return false }
            state = .running
            return true
        }
        guard shouldStart else { return }
        grpc_server_start(server)
        for queue in queues {
            queue.startPolling()
            for method in methods {
                for _ in 0..<max(1, configuration.requestedCallsPerMethod) {
                    RequestedCall(method: method, queue: queue, server: self).arm(on: server)
                }
            }
            for _ in 0..<4 {
                RequestedCall(method: nil, queue: queue, server: self).arm(on: server)
            }
        }
        logger.info("gRPC server listening", metadata: ["grpc.address": "\(configuration.address)", "grpc.port": "\(port)"])
    }

    func waitUntilStopped() async {
        await stopped.wait()
    }

    func rearm(_ request: RequestedCall) {
        let running = state.withLock { state -> Bool in
            if case .running = state { return true }
            return false
        }
        if running { request.arm(on: server) }
    }

    func answerUnimplemented(_ call: ServerCall) {
        call.watchForClose()
        call.finish(status: .unimplemented, message: "Method not found: \(call.method)", trailing: [:])
    }

    func dispatch(
        _ call: ServerCall, method: RegisteredMethod, message: [UInt8]?, metadata: Metadata,
        deadline: ContinuousClock.Instant?
    ) {
        call.watchForClose()
        if case .bidirectionalStreaming(let handler) = method.handler {
            let context = ServerContext(method: method.path, metadata: metadata, deadline: deadline, call: call)
            let logger = self.logger
            let task = Task {
                do {
                    let trailers = try await handler(ServerRequestStream(call: call), ServerResponseWriter(call: call), context)
                    call.finish(status: .ok, message: "", trailing: trailers)
                } catch {
                    let status = Self.status(for: error, method: method.path, logger: logger)
                    call.finish(status: status.code, message: status.message, trailing: status.metadata)
                }
            }
            call.setHandlerTask(task)
            return
        }
        guard let message else {
            call.finish(status: .internal, message: "the request message could not be read", trailing: [:])
            return
        }
        let request = ServerRequest(
            message: message,
            context: ServerContext(method: method.path, metadata: metadata, deadline: deadline, call: call))
        let logger = self.logger
        let task = Task {
            do {
                switch method.handler {
                case .unary(let handler):
                    let response = try await handler(request)
                    call.finishUnary(response)
                case .serverStreaming(let handler):
                    let writer = ServerResponseWriter(call: call)
                    let trailers = try await handler(request, writer)
                    call.finish(status: .ok, message: "", trailing: trailers)
                case .bidirectionalStreaming:
                    preconditionFailure("bidirectional streams are dispatched above")
                }
            } catch {
                let status = Self.status(for: error, method: method.path, logger: logger)
                call.finish(status: status.code, message: status.message, trailing: status.metadata)
            }
        }
        call.setHandlerTask(task)
    }

    static func status(for error: any Error, method: String, logger: Logger) -> RPCError {
        if let convertible = error as? any RPCErrorConvertible {
            return convertible.rpcError
        }
        if error is CancellationError {
            return RPCError(code: .cancelled, message: "the call was cancelled")
        }
        logger.error("handler failed", metadata: ["grpc.method": "\(method)", "error": "\(error)"])
        return RPCError(code: .unknown, message: "the handler of \(method) failed")
    }

    // MARK: Shutdown

    /// Starts a graceful shutdown: GOAWAY, then after the grace period cancel what is
    /// still running, wait for the last call, destroy the server and drain the queues.
    func beginShutdown() {
        let previous = state.withLock { state -> State in
            let previous = state
            if case .running = state { state = .shuttingDown }
            return previous
        }
        switch previous {
        case .idle:
            state.withLock { $0 = .stopped }
            destroyUnstarted()
            stopped.fire()
            return
        case .shuttingDown, .stopped:
            return
        case .running:
            break
        }
        logger.info("gRPC server shutting down", metadata: ["grpc.grace": "\(configuration.shutdownGracePeriod)"])
        for observer in observers.withLock({ $0 }) { observer() }
        let notified = shutdownNotified
        let tag = ClosureTag { _ in notified.fire() }
        grpc_server_shutdown_and_notify(server, queues[0].queue, tag.retainedOpaque())
        Task { await self.completeShutdown() }
    }

    /// Tears down a server that never started: the core still wants
    /// `grpc_server_shutdown_and_notify` before `grpc_server_destroy` once a port is
    /// bound. No poller runs, so the notification is drained here.
    private func destroyUnstarted() {
        let notified = ClosureTag { _ in }
        grpc_server_shutdown_and_notify(server, queues[0].queue, notified.retainedOpaque())
        grpc_server_cancel_all_calls(server)
        grpc_server_destroy(server)
        for queue in queues { queue.destroyUnpolled() }
        GRPCLibrary.release()
    }

    private func completeShutdown() async {
        let graceful = await shutdownNotified.wait(timeout: configuration.shutdownGracePeriod)
        if !graceful {
            logger.info("grace period over: cancelling the remaining calls", metadata: ["grpc.calls": "\(tracker.liveCalls)"])
            grpc_server_cancel_all_calls(server)
            await shutdownNotified.wait()
        }
        await tracker.waitUntilIdle()
        grpc_server_destroy(server)
        for queue in queues { queue.shutdown() }
        for queue in queues { await queue.drained() }
        state.withLock { $0 = .stopped }
        GRPCLibrary.release()
        logger.info("gRPC server stopped")
        stopped.fire()
    }
}
