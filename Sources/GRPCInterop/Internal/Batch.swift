internal import CGRPC

/// One `grpc_call_start_batch`: the op array and everything the ops point to, kept at
/// stable addresses until the batch's tag comes out of the completion queue, then
/// released in `deinit`. The batch is its own tag.
final class Batch: CompletionTag {
    private static let capacity = 6
    private let ops: UnsafeMutablePointer<grpc_op>
    private var count = 0
    private var metadata: [OutgoingMetadata] = []
    private var sendBuffer: UnsafeMutablePointer<grpc_byte_buffer>?
    private var statusDetails: UnsafeMutablePointer<grpc_slice>?
    /// Keeps the call (and whatever owns the receive storage) alive until completion.
    private let owner: AnyObject?
    private var continuation: UnsafeContinuation<Bool, Never>?
    private var callback: ((Bool) -> Void)?

    init(owner: AnyObject?) {
        self.owner = owner
        self.ops = .allocate(capacity: Self.capacity)
    }

    deinit {
        if let sendBuffer { grpc_byte_buffer_destroy(sendBuffer) }
        if let statusDetails {
            grpc_slice_unref(statusDetails.pointee)
            statusDetails.deallocate()
        }
        ops.deinitialize(count: count)
        ops.deallocate()
    }

    private func append(_ type: grpc_op_type, _ fill: (inout grpc_op) -> Void) {
        precondition(count < Self.capacity, "too many ops in one batch")
        var op = grpc_op()
        op.op = type
        op.flags = 0
        op.reserved = nil
        fill(&op)
        (ops + count).initialize(to: op)
        count += 1
    }

    func sendInitialMetadata(_ values: Metadata) {
        let outgoing = OutgoingMetadata(values)
        metadata.append(outgoing)
        append(GRPC_OP_SEND_INITIAL_METADATA) { op in
            op.data.send_initial_metadata.count = outgoing.count
            op.data.send_initial_metadata.metadata = outgoing.pointer
        }
    }

    func sendMessage(_ bytes: [UInt8]) {
        let buffer = ByteBuffer.make(bytes)
        sendBuffer = buffer
        append(GRPC_OP_SEND_MESSAGE) { op in
            op.data.send_message.send_message = buffer
        }
    }

    func sendCloseFromClient() {
        append(GRPC_OP_SEND_CLOSE_FROM_CLIENT) { _ in }
    }

    func sendStatus(code: RPCError.Code, message: String, trailing: Metadata) {
        let outgoing = OutgoingMetadata(trailing)
        metadata.append(outgoing)
        var details: UnsafeMutablePointer<grpc_slice>?
        if !message.isEmpty {
            let slice = UnsafeMutablePointer<grpc_slice>.allocate(capacity: 1)
            slice.initialize(to: .copying(message))
            statusDetails = slice
            details = slice
        }
        append(GRPC_OP_SEND_STATUS_FROM_SERVER) { op in
            op.data.send_status_from_server.trailing_metadata_count = outgoing.count
            op.data.send_status_from_server.trailing_metadata = outgoing.pointer
            op.data.send_status_from_server.status = grpc_status_code(rawValue: Int32(code.rawValue))
            op.data.send_status_from_server.status_details = details
        }
    }

    func receiveCloseOnServer(_ cancelled: UnsafeMutablePointer<Int32>) {
        append(GRPC_OP_RECV_CLOSE_ON_SERVER) { op in
            op.data.recv_close_on_server.cancelled = cancelled
        }
    }

    func receiveInitialMetadata(_ array: UnsafeMutablePointer<grpc_metadata_array>) {
        append(GRPC_OP_RECV_INITIAL_METADATA) { op in
            op.data.recv_initial_metadata.recv_initial_metadata = array
        }
    }

    func receiveMessage(_ buffer: UnsafeMutablePointer<UnsafeMutablePointer<grpc_byte_buffer>?>) {
        append(GRPC_OP_RECV_MESSAGE) { op in
            op.data.recv_message.recv_message = buffer
        }
    }

    func receiveStatusOnClient(_ results: UnsafeMutablePointer<CGRPC_call_results>) {
        append(GRPC_OP_RECV_STATUS_ON_CLIENT) { op in
            op.data.recv_status_on_client.trailing_metadata = withUnsafeMutablePointer(to: &results.pointee.trailing_metadata) { $0 }
            op.data.recv_status_on_client.status = withUnsafeMutablePointer(to: &results.pointee.status) { $0 }
            op.data.recv_status_on_client.status_details = withUnsafeMutablePointer(to: &results.pointee.status_details) { $0 }
            op.data.recv_status_on_client.error_string = withUnsafeMutablePointer(to: &results.pointee.error_string) { $0 }
        }
    }

    /// Starts the batch and runs `callback` on the poller thread when it completes.
    /// Returns false (and never calls back) when the core refused the batch.
    @discardableResult
    func start(on call: OpaquePointer, callback: @escaping (Bool) -> Void) -> Bool {
        self.callback = callback
        let tag = retainedOpaque()
        let error = grpc_call_start_batch(call, ops, count, tag, nil)
        if error != GRPC_CALL_OK {
            self.callback = nil
            releaseUnstarted(tag)
            return false
        }
        return true
    }

    /// Starts the batch and waits for it; false when it failed or was refused.
    func run(on call: OpaquePointer) async -> Bool {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Bool, Never>) in
            self.continuation = continuation
            let tag = retainedOpaque()
            let error = grpc_call_start_batch(call, ops, count, tag, nil)
            if error != GRPC_CALL_OK {
                self.continuation = nil
                releaseUnstarted(tag)
                continuation.resume(returning: false)
            }
        }
    }

    override func complete(success: Bool) {
        if let continuation {
            self.continuation = nil
            continuation.resume(returning: success)
        } else if let callback {
            self.callback = nil
            callback(success)
        }
    }
}
