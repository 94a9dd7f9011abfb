// `make bench-tokens`: the cost of HMAC tracking tokens, per token and inside the
// rendering of whole messages (signed vs the unsigned placeholder). Prints figures; not
// a test.
import Foundation
import HeraldCore
import HeraldPersonalization
import HeraldTracking

func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

let count = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 1_000_000
let tokens = try HMACTrackingTokens(keys: [TrackingKey(id: "k1", secret: Array("bench secret of thirty-two bytes".utf8))])
let deliveryID = "0194c3b2-7e1a-7bbb-8ccc-0123456789ab"
let ids = (0..<1000).map { PreparedMessage.trackingID(deliveryID: deliveryID, sequence: $0 + 1) }

print("HMAC tracking tokens (\(count) each, one core)")
var sink = 0
let asString = seconds {
    for i in 0..<count { sink &+= tokens.token(trackingID: ids[i % ids.count], action: .click(index: i & 3)).utf8.count }
}
print(String(format: "  token(trackingID:action:) -> String   %7.0f ns/token", asString * 1e9 / Double(count)))
var buffer: [UInt8] = []
buffer.reserveCapacity(256)
let appended = seconds {
    for i in 0..<count {
        buffer.removeAll(keepingCapacity: true)
        tokens.appendToken(trackingID: ids[i % ids.count], action: .click(index: i & 3), to: &buffer)
        sink &+= buffer.count
    }
}
print(String(format: "  appendToken into a reused buffer      %7.0f ns/token", appended * 1e9 / Double(count)))
let samples = ids.map { tokens.token(trackingID: $0, action: .open) }
let verified = seconds {
    for i in 0..<count where tokens.verify(samples[i % samples.count]) != nil { sink &+= 1 }
}
print(String(format: "  verify                                %7.0f ns/token", verified * 1e9 / Double(count)))

// Whole messages: a typical content with 4 tracked links, the open pixel and
// {{unsubscribe_url}} (6 URLs per message).
let html = """
    <html><body><p>Hello {{first_name}},</p>
    <p><a href="https://example.com/offers?c={{attributes.city}}">Offers</a> ·
    <a href="https://example.com/news">News</a> · <a href="https://example.com/shop">Shop</a> ·
    <a href="https://example.com/help">Help</a></p>
    <p><a href="{{unsubscribe_url}}">Unsubscribe</a></p></body></html>
    """
let content = Delivery.Content(subject: "News for {{first_name}}", sender: .init(address: "news@example.com"), htmlBody: html)
let profile = Profile(
    id: "p1", email: "ada@example.com", firstName: "Ada", lastName: "Lovelace", attributes: ["city": "Paris"]
)
let messages = count / 5
for (name, signer) in [("unsigned placeholder", UnsignedTrackingTokens() as any TrackingTokenSigner), ("HMAC-SHA256", tokens)] {
    let compiled = try MustacheMessageRenderer().compile(
        content, options: RenderingOptions(trackingBaseURL: "https://t.example.com", signer: signer)
    )
    let measured = seconds {
        for i in 0..<messages {
            sink &+= (try? compiled.messageSize(profile, identity: MessageIdentity(trackingID: ids[i % ids.count]))) ?? 0
        }
    }
    let rendered = seconds {
        for i in 0..<messages {
            sink &+= (try? compiled.render(profile, identity: MessageIdentity(trackingID: ids[i % ids.count])))?.size ?? 0
        }
    }
    let label = name.padding(toLength: 22, withPad: " ", startingAt: 0)
    print(String(format: "  6-URL message, %@ size (preparation) %7.0f ns, full render (sending) %7.0f ns", label,
                 measured * 1e9 / Double(messages), rendered * 1e9 / Double(messages)))
}
if sink == 42 { print("") }
