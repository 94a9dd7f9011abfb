import Foundation
import HeraldCore
import HeraldPersonalization
import HeraldTracking
import Testing

@Suite("Rendering with HMAC tokens")
struct SignedRenderingTests {
    @Test("the fast renderer writes the same signed URLs as the reference renderer, and they verify")
    func sameBytesAndVerifiable() throws {
        let tokens = try HMACTrackingTokens(keys: [TrackingKey(id: "r1", secret: Array("rendering-secret-0123456789".utf8))])
        let content = Delivery.Content(
            subject: "Hi {{first_name}}", sender: .init(address: "news@example.com"),
            htmlBody: """
                <p>{{first_name}}</p><a href="https://example.com/a">a</a><a href='https://example.com/b?u={{id}}'>b</a>
                <a href="{{unsubscribe_url}}">unsubscribe</a>
                """
        )
        let options = RenderingOptions(trackingBaseURL: "https://t.example.com/x&y", signer: tokens)
        let fast = try MustacheMessageRenderer().compile(content, options: options)
        let reference = try MustacheReferenceRenderer().compile(content, options: options)
        for seq in [1, 42, 100_000] {
            let profile = Profile(id: "p\(seq)", email: "p\(seq)@example.com", firstName: "Zoë \(seq)")
            let identity = MessageIdentity(trackingID: PreparedMessage.trackingID(deliveryID: "d-01", sequence: seq))
            let message = try fast.render(profile, identity: identity)
            #expect(message == (try reference.render(profile, identity: identity)))
            #expect(try fast.messageSize(profile, identity: identity) == message.size)
            // Every tracking URL of the HTML carries a token that verifies to this message
            // ({{unsubscribe_url}} is HTML-escaped, the rewritten links and pixel are not).
            let prefix = "https://t.example.com/x&y/"
            var actions: [TrackingAction] = []
            var rest = Substring(message.html.replacingOccurrences(of: "&amp;", with: "&"))
            while let start = rest.range(of: prefix) {
                let tail = rest[start.upperBound...]
                let end = tail.firstIndex { $0 == "\"" || $0 == "'" } ?? tail.endIndex
                let path = tail[..<end]
                let token = String(path.dropFirst(2))
                let verified = try #require(tokens.verify(token), "\(path)")
                #expect(verified.trackingID == identity.trackingID)
                #expect(verified.action.pathLetter == String(path.prefix(1)))
                actions.append(verified.action)
                rest = tail[end...]
            }
            #expect(actions == [.click(index: 0), .click(index: 1), .unsubscribe, .open])
        }
    }
}
