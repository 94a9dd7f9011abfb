internal import CGRPC

/// A call requested from the server on one completion queue: for a registered
/// method (`grpc_server_request_registered_call`, the request payload read with the
/// call) or, when `method` is nil, the catch-all (`grpc_server_request_call`) that
/// answers UNIMPLEMENTED. When a call arrives the same object is armed again at once,
/// before the handler runs, so the number of requested calls stays constant.
final class RequestedCall: CompletionTag {
    private let storage: UnsafeMutablePointer<CGRPC_requested_call>
    private let method: RegisteredMethod?
    private let queue: CompletionQueue
    private unowned let server: ServerCore

    init(method: RegisteredMethod?, queue: CompletionQueue, server: ServerCore) {
        self.method = method
        self.queue = queue
        self.server = server
        storage = .allocate(capacity: 1)
        storage.initialize(to: CGRPC_requested_call())
        grpc_metadata_array_init(&storage.pointee.metadata)
        grpc_call_details_init(&storage.pointee.details)
    }

    deinit {
        grpc_metadata_array_destroy(&storage.pointee.metadata)
        grpc_call_details_destroy(&storage.pointee.details)
        if let payload = storage.pointee.payload { grpc_byte_buffer_destroy(payload) }
        storage.deallocate()
    }

    /// Arms the request. Returns false when the server no longer accepts requests.
    @discardableResult
    func arm(on rawServer: OpaquePointer) -> Bool {
        let tag = retainedOpaque()
        let error: grpc_call_error
        if let method {
            // The payload pointer must be NULL for methods registered with
            // GRPC_SRM_PAYLOAD_NONE (bidirectional streams read their own messages).
            let payload: UnsafeMutablePointer<UnsafeMutablePointer<grpc_byte_buffer>?>? =
                method.handler.readsPayloadWithCall ? withUnsafeMutablePointer(to: &storage.pointee.payload) { $0 } : nil
            error = grpc_server_request_registered_call(
                rawServer, method.handle, &storage.pointee.call, &storage.pointee.deadline,
                &storage.pointee.metadata, payload, queue.queue, queue.queue, tag)
        } else {
            error = grpc_server_request_call(
                rawServer, &storage.pointee.call, &storage.pointee.details, &storage.pointee.metadata,
                queue.queue, queue.queue, tag)
        }
        if error != GRPC_CALL_OK {
            releaseUnstarted(tag)
            return false
        }
        return true
    }

    override func complete(success: Bool) {
        // During shutdown the armed requests come back with success == false; this
        // object is then released by the poller and frees its storage.
        guard success, let call = storage.pointee.call else { return }

        let deadline = storage.pointee.deadline.remaining.map { ContinuousClock.now + $0 }
        let metadata = Metadata(&storage.pointee.metadata)
        let payload = storage.pointee.payload
        storage.pointee.payload = nil
        storage.pointee.call = nil
        let path = method?.path ?? storage.pointee.details.method.string
        grpc_metadata_array_destroy(&storage.pointee.metadata)
        grpc_metadata_array_init(&storage.pointee.metadata)
        if method == nil {
            grpc_call_details_destroy(&storage.pointee.details)
            grpc_call_details_init(&storage.pointee.details)
        }

        server.rearm(self)

        let serverCall = ServerCall(call: call, method: path, tracker: server.tracker)
        guard let method else {
            server.answerUnimplemented(serverCall)
            return
        }
        var message: [UInt8]?
        if let payload {
            message = ByteBuffer.read(payload)
            grpc_byte_buffer_destroy(payload)
        }
        server.dispatch(serverCall, method: method, message: message, metadata: metadata, deadline: deadline)
    }
}

/// A method registered with the core before start.
struct RegisteredMethod: @unchecked Sendable {
    // @unchecked: `handle` is the opaque token grpc_server_register_method returned;
    // it is immutable and valid for the server's lifetime.
    let path: String
    let handle: UnsafeMutableRawPointer
    let handler: RPCRouter.Handler
}
