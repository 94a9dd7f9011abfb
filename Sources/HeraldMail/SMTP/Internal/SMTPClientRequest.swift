internal import NIOCore

/// What the session writes into the channel: command bytes (or none, to wait for the
/// greeting) and how many replies complete the request.
///
/// `followUp` is written from the event loop as soon as the replies are in, when the
/// last one is 354 and all others are positive (the message data after DATA), and then
/// one more reply completes the request: a whole transaction costs one hop onto the
/// event loop and one back.
struct SMTPClientRequest: Sendable {
    var bytes: ByteBuffer?
    var replyCount: Int
    var timeout: TimeAmount
    var followUp: ByteBuffer?
    var followUpTimeout: TimeAmount
    /// Where the request's result goes (set by the session when it submits the request):
    /// its place `index` in the exchange.
    var exchange: SMTPExchange?
    var index = 0

    /// Reports the request's result to its exchange.
    func complete(_ result: Result<[SMTPReply], SMTPError>) {
        exchange?.complete(index, result)
    }
}
