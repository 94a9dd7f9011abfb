internal import CGRPC
import Synchronization

/// One accepted server call: owns the `grpc_call` (unref'd in `deinit`, after every
/// batch that referenced it has completed, since each batch retains its call).
///
/// `@unchecked Sendable`: `call` and the other stored constants are immutable; the
/// mutable state lives in `state` behind a `Mutex`; the core allows
/// `grpc_call_start_batch` from any thread as long as batches of the same kind do
/// not overlap, which the handler's sequential writes guarantee, and
/// `grpc_call_cancel*` from any thread until the call is unref'd.
final class ServerCall: @unchecked Sendable {
    let call: OpaquePointer
    let method: String
    private let tracker: LiveCallTracker
    private let cancelledFlag: UnsafeMutablePointer<Int32>
    private let state = Mutex(State())

    private struct State {
        var handlerTask: Task<Void, Never>?
        var cancelled = false
        var initialMetadataSent = false
        var finished = false
    }

    init(call: OpaquePointer, method: String, tracker: LiveCallTracker) {
        self.call = call
        self.method = method
        self.tracker = tracker
        self.cancelledFlag = .allocate(capacity: 1)
        self.cancelledFlag.initialize(to: 0)
        tracker.callStarted()
    }

    deinit {
        grpc_call_unref(call)
        cancelledFlag.deallocate()
        tracker.callEnded()
    }

    var peer: String {
        guard let peer = grpc_call_get_peer(call) else { return "" }
        defer { gpr_free(peer) }
        return String(cString: peer)
    }

    var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Posts RECV_CLOSE_ON_SERVER: it completes when the call ends, with the flag set
    /// when the client cancelled, went away or the deadline passed.
    func watchForClose() {
        let batch = Batch(owner: self)
        batch.receiveCloseOnServer(cancelledFlag)
        batch.start(on: call) { [self] _ in
            if cancelledFlag.pointee != 0 { markCancelled() }
        }
    }

    /// Remembers the handler's task so that a cancellation of the call cancels it.
    func setHandlerTask(_ task: Task<Void, Never>) {
        let cancelNow = state.withLock { state -> Bool in
            if state.finished { return false }
            state.handlerTask = task
            return state.cancelled
        }
        if cancelNow { task.cancel() }
    }

    private func markCancelled() {
        let task = state.withLock { state -> Task<Void, Never>? in
            state.cancelled = true
            return state.handlerTask
        }
        task?.cancel()
    }

    // MARK: Receiving

    /// The next request message of a bidirectional stream, or nil once the client
    /// half-closed. One receive at a time.
    func receiveMessage() async throws -> [UInt8]? {
        let storage = UnsafeMutablePointer<UnsafeMutablePointer<grpc_byte_buffer>?>.allocate(capacity: 1)
        storage.initialize(to: nil)
        defer { storage.deallocate() }
        let batch = Batch(owner: self)
        batch.receiveMessage(storage)
        guard await batch.run(on: call) else { throw cancelledError() }
        guard let buffer = storage.pointee else { return nil }
        defer { grpc_byte_buffer_destroy(buffer) }
        guard let message = ByteBuffer.read(buffer) else {
            throw RPCError(code: .internal, message: "a request message could not be read")
        }
        return message
    }

    // MARK: Sending

    func sendInitialMetadata(_ metadata: Metadata) async throws {
        let alreadySent = state.withLock { state in
            defer { state.initialMetadataSent = true }
            return state.initialMetadataSent
        }
        precondition(!alreadySent, "initial metadata sent twice on \(method)")
        let batch = Batch(owner: self)
        batch.sendInitialMetadata(metadata)
        guard await batch.run(on: call) else { throw cancelledError() }
    }

    func write(_ message: [UInt8]) async throws {
        if isCancelled { throw cancelledError() }
        let batch = Batch(owner: self)
        if takeInitialMetadataTurn() { batch.sendInitialMetadata([:]) }
        batch.sendMessage(message)
        guard await batch.run(on: call) else { throw cancelledError() }
    }

    /// Sends the unary response and status in one batch, without waiting: the batch
    /// keeps this call alive until the core is done with it.
    func finishUnary(_ response: ServerResponse) {
        let batch = Batch(owner: self)
        if takeInitialMetadataTurn() { batch.sendInitialMetadata(response.initialMetadata) }
        batch.sendMessage(response.message)
        batch.sendStatus(code: .ok, message: "", trailing: response.trailingMetadata)
        finish(batch)
    }

    /// Ends the call with a status (and initial metadata if none was sent).
    func finish(status: RPCError.Code, message: String, trailing: Metadata) {
        let batch = Batch(owner: self)
        if takeInitialMetadataTurn() { batch.sendInitialMetadata([:]) }
        batch.sendStatus(code: status, message: message, trailing: trailing)
        finish(batch)
    }

    private func finish(_ batch: Batch) {
        state.withLock { state in
            state.finished = true
            state.handlerTask = nil
        }
        batch.start(on: call) { _ in }
    }

    private func takeInitialMetadataTurn() -> Bool {
        state.withLock { state in
            defer { state.initialMetadataSent = true }
            return !state.initialMetadataSent
        }
    }

    private func cancelledError() -> RPCError {
        RPCError(code: .cancelled, message: "the call was cancelled")
    }
}
