internal import NIOCore

/// What the session writes into the channel: command bytes (or none, to wait for the
/// greeting) and how many replies complete the request.
struct SMTPClientRequest: Sendable {
    var bytes: ByteBuffer?
    var replyCount: Int
    var timeout: TimeAmount
    var promise: EventLoopPromise<[SMTPReply]>
}
