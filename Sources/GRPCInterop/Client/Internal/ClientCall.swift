internal import CGRPC
import Synchronization

/// One client call: owns the `grpc_call` and the storage its receive ops write
/// into, both released in `deinit` (every batch retains the call until it completes).
///
/// `@unchecked Sendable`: `call` and `results` are set in `init` and never
/// reassigned; `results` fields are written by the core only while the batch that
/// owns them is in flight and read only after its completion; mutable Swift state is
/// in `state` behind a `Mutex`; `grpc_call_cancel` is thread-safe.
final class ClientCall: @unchecked Sendable {
    private let call: OpaquePointer
    private let path: String
    private let core: ClientCore
    private let results: UnsafeMutablePointer<CGRPC_call_results>
    private let statusReceived = OneShotSignal()
    private let initialMetadataReceived = OneShotSignal()
    private let state = Mutex(State())

    private struct State {
        var initialMetadata: Metadata = [:]
        var status: RPCError?
        var trailingMetadata: Metadata?
    }

    init(call: OpaquePointer, path: String, core: ClientCore) {
        self.call = call
        self.path = path
        self.core = core
        results = .allocate(capacity: 1)
        results.initialize(to: CGRPC_call_results())
        grpc_metadata_array_init(&results.pointee.initial_metadata)
        grpc_metadata_array_init(&results.pointee.trailing_metadata)
        results.pointee.status_details = grpc_empty_slice()
        core.tracker.callStarted()
    }

    deinit {
        grpc_call_unref(call)
        grpc_metadata_array_destroy(&results.pointee.initial_metadata)
        grpc_metadata_array_destroy(&results.pointee.trailing_metadata)
        grpc_slice_unref(results.pointee.status_details)
        if let message = results.pointee.message { grpc_byte_buffer_destroy(message) }
        if let errorString = results.pointee.error_string { gpr_free(UnsafeMutableRawPointer(mutating: errorString)) }
        results.deallocate()
        core.callEnded(ObjectIdentifier(self))
        core.tracker.callEnded()
    }

    func cancel() {
        grpc_call_cancel(call, nil)
    }

    // MARK: Unary

    func unary(request: [UInt8], metadata: Metadata) async throws -> ClientResponse {
        let batch = Batch(owner: self)
        batch.sendInitialMetadata(metadata)
        batch.sendMessage(request)
        batch.sendCloseFromClient()
        batch.receiveInitialMetadata(&results.pointee.initial_metadata)
        batch.receiveMessage(&results.pointee.message)
        batch.receiveStatusOnClient(results)
        let started = await withTaskCancellationHandler {
            await batch.run(on: call)
        } onCancel: {
            self.cancel()
        }
        guard started else {
            throw RPCError(code: .internal, message: "grpc_call_start_batch refused the call to \(path)")
        }
        let status = readStatus()
        if let error = status.error { throw error }
        guard let buffer = results.pointee.message else {
            throw RPCError(code: .internal, message: "\(path) ended with OK but sent no response message")
        }
        results.pointee.message = nil
        defer { grpc_byte_buffer_destroy(buffer) }
        guard let message = ByteBuffer.read(buffer) else {
            throw RPCError(code: .internal, message: "the response of \(path) could not be read")
        }
        return ClientResponse(
            message: message,
            initialMetadata: Metadata(&results.pointee.initial_metadata),
            trailingMetadata: status.trailing)
    }

    private func readStatus() -> (error: RPCError?, trailing: Metadata) {
        let trailing = Metadata(&results.pointee.trailing_metadata)
        let code = RPCError.Code(rawValue: Int(results.pointee.status.rawValue))
        guard code != .ok else { return (nil, trailing) }
        var message = results.pointee.status_details.string
        if message.isEmpty, let errorString = results.pointee.error_string {
            message = String(cString: errorString)
        }
        return (RPCError(code: code, message: message, metadata: trailing), trailing)
    }

    // MARK: Server streaming

    func startStreaming(request: [UInt8], metadata: Metadata) async throws {
        let send = Batch(owner: self)
        send.sendInitialMetadata(metadata)
        send.sendMessage(request)
        send.sendCloseFromClient()
        let receiveStatus = Batch(owner: self)
        receiveStatus.receiveStatusOnClient(results)
        let receiveInitial = Batch(owner: self)
        receiveInitial.receiveInitialMetadata(&results.pointee.initial_metadata)

        let started = send.start(on: call) { _ in }
            && receiveStatus.start(on: call) { [self] _ in
                let status = readStatus()
                state.withLock { state in
                    state.status = status.error
                    state.trailingMetadata = status.trailing
                }
                statusReceived.fire()
            }
            && receiveInitial.start(on: call) { [self] _ in
                let metadata = Metadata(&results.pointee.initial_metadata)
                state.withLock { $0.initialMetadata = metadata }
                initialMetadataReceived.fire()
            }
        guard started else {
            cancel()
            throw RPCError(code: .internal, message: "grpc_call_start_batch refused the call to \(path)")
        }
    }

    func initialMetadata() async throws -> Metadata {
        await withTaskCancellationHandler {
            await initialMetadataReceived.wait()
        } onCancel: {
            self.cancel()
        }
        return state.withLock { $0.initialMetadata }
    }

    var trailingMetadata: Metadata? { state.withLock { $0.trailingMetadata } }

    /// The next message, or nil after the last one when the status is OK.
    func nextMessage() async throws -> [UInt8]? {
        let storage = UnsafeMutablePointer<UnsafeMutablePointer<grpc_byte_buffer>?>.allocate(capacity: 1)
        storage.initialize(to: nil)
        defer { storage.deallocate() }
        let batch = Batch(owner: self)
        batch.receiveMessage(storage)
        let ok = await withTaskCancellationHandler {
            await batch.run(on: call)
        } onCancel: {
            self.cancel()
        }
        if ok, let buffer = storage.pointee {
            defer { grpc_byte_buffer_destroy(buffer) }
            guard let message = ByteBuffer.read(buffer) else {
                cancel()
                throw RPCError(code: .internal, message: "a response of \(path) could not be read")
            }
            return message
        }
        await statusReceived.wait()
        if let error = state.withLock({ $0.status }) { throw error }
        return nil
    }
}
