internal import CGRPC
import Synchronization

/// The channel, completion queue and live calls behind a ``GRPCClient``.
///
/// `@unchecked Sendable`: `channel` and `queue` are immutable after `init` and the
/// core allows creating calls on a channel from any thread; the mutable state is in
/// `state` behind a `Mutex`.
final class ClientCore: @unchecked Sendable {
    let target: String
    private let channel: OpaquePointer
    private let queue: CompletionQueue
    let tracker = LiveCallTracker()
    private let state = Mutex(State())

    private struct State {
        var closed = false
        var calls: [ObjectIdentifier: WeakCall] = [:]
    }

    private struct WeakCall {
        weak var call: ClientCall?
    }

    init(target: String, configuration: GRPCClient.Configuration) {
        GRPCLibrary.acquire()
        self.target = target
        let credentials = grpc_insecure_credentials_create()
        channel = configuration.channelArguments.withUnsafeArgs { grpc_channel_create(target, credentials, $0) }
        grpc_channel_credentials_release(credentials)
        queue = CompletionQueue(name: "grpc-client-cq-\(target)")
        queue.startPolling()
    }

    deinit {
        let closed = state.withLock { $0.closed }
        if !closed {
            // Never closed: nothing can be live (every call retains this core), so the
            // queue can be shut down here; the poller destroys it.
            grpc_channel_destroy(channel)
            queue.shutdown()
            GRPCLibrary.release()
        }
    }

    func makeCall(path: String, options: CallOptions) throws -> ClientCall {
        let deadline = options.timeout.map { gpr_timespec.fromNow($0) } ?? gpr_inf_future(GPR_CLOCK_MONOTONIC)
        return try state.withLock { state in
            guard !state.closed else {
                throw RPCError(code: .unavailable, message: "the client is closed")
            }
            let method = grpc_slice.copying(path)
            defer { grpc_slice_unref(method) }
            guard let raw = grpc_channel_create_call(channel, nil, 0xFFFF, queue.queue, method, nil, deadline, nil) else {
                throw RPCError(code: .internal, message: "grpc_channel_create_call failed for \(path)")
            }
            let call = ClientCall(call: raw, path: path, core: self)
            state.calls[ObjectIdentifier(call)] = WeakCall(call: call)
            return call
        }
    }

    func callEnded(_ id: ObjectIdentifier) {
        state.withLock { _ = $0.calls.removeValue(forKey: id) }
    }

    /// Cancels every live call. The strong references taken here end with this
    /// function, before anyone waits for the calls to end.
    private func cancelLiveCalls() {
        let calls = state.withLock { state in state.calls.values.compactMap(\.call) }
        for call in calls { call.cancel() }
    }

    func close() async {
        let firstClose = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.closed = true
            return true
        }
        guard firstClose else { return }
        cancelLiveCalls()
        await tracker.waitUntilIdle()
        grpc_channel_destroy(channel)
        queue.shutdown()
        await queue.drained()
        GRPCLibrary.release()
    }
}
