/// The request messages of a bidirectional stream, in order; iteration ends when
/// the client half-closes and throws CANCELLED when the call is gone.
public struct ServerRequestStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    private let call: ServerCall

    init(call: ServerCall) {
        self.call = call
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(call: call)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let call: ServerCall

        public mutating func next() async throws -> [UInt8]? {
            try await call.receiveMessage()
        }
    }
}
