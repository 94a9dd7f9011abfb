import HeraldCore
import NIOCore
import NIOHTTP1
import Synchronization

/// What the open-pixel fast path (``OpenPixelChannelHandler``, one per connection) shares:
/// the verifier, the recorder, the clock, one ``EventLoopMailbox`` per event loop, and
/// the answers it writes, which are byte for byte those of ``Handlers/open(_:_:)`` plus
/// the `Date` header Hummingbird adds.
final class OpenPixelFastPath: Sendable {
    let tokens: HMACTrackingTokens
    let recorder: TrackingRecorder
    let now: @Sendable () -> Timestamp
    private let mailboxes = Mutex<[ObjectIdentifier: EventLoopMailbox]>([:])

    /// The pixel's body and its headers but the date.
    let pixelBody = ByteBuffer(bytes: TrackingEndpoint.pixel)
    let pixelHeaders = HTTPHeaders([
        ("Content-Type", "image/gif"), ("Cache-Control", Handlers.noCache), ("Expires", "0"),
        ("Content-Length", "\(TrackingEndpoint.pixel.count)"),
    ])
    /// The 404 of an unknown, forged or foreign token.
    let notFoundBody = ByteBuffer(string: Handlers.notFoundText)
    let notFoundHeaders = HTTPHeaders([
        ("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", Handlers.noCache),
        ("Content-Length", "\(Handlers.notFoundText.utf8.count)"),
    ])
    /// What Hummingbird answers when a handler throws (here: the recorder failed).
    let failureHeaders = HTTPHeaders([("Content-Length", "0")])

    init(tokens: HMACTrackingTokens, recorder: TrackingRecorder, now: @escaping @Sendable () -> Timestamp) {
        self.tokens = tokens
        self.recorder = recorder
        self.now = now
    }

    /// The mailbox of `eventLoop` (made on first use; there are as many as event loops).
    func mailbox(for eventLoop: any EventLoop) -> EventLoopMailbox {
        mailboxes.withLock { mailboxes in
            let key = ObjectIdentifier(eventLoop)
            if let mailbox = mailboxes[key] { return mailbox }
            let mailbox = EventLoopMailbox(eventLoop: eventLoop)
            mailboxes[key] = mailbox
            return mailbox
        }
    }

    /// The token of a request the fast path takes: `GET /o/<token>` where the token is
    /// only unreserved URL characters (no query, no percent-encoding, no further
    /// segment). Anything else goes to Hummingbird's router, which answers it the same way.
    static func openToken(_ head: HTTPRequestHead) -> Substring? {
        guard head.method == .GET, head.uri.utf8.count > 3, head.uri.utf8.starts(with: "/o/".utf8) else { return nil }
        let token = head.uri.dropFirst(3)
        guard token.utf8.allSatisfy(isUnreserved) else { return nil }
        return token
    }

    /// A header as swift-http-types reads it (what Hummingbird's route sees): the values
    /// of every field of that name joined with `, `, or nil.
    static func field(_ name: String, of headers: HTTPHeaders) -> String? {
        let values = headers[name]
        switch values.count {
        case 0: return nil
        case 1: return values[0]
        default: return values.joined(separator: ", ")
        }
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
