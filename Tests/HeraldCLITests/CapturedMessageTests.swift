import Foundation
import Testing

@testable import herald

@Suite("CapturedMessage and the simulated audience's choices")
struct CapturedMessageTests {
    static let eml = """
        X-Herald-Envelope-To: <ada@example.com>\r
        To: Ada <ada@example.com>\r
        Content-Type: multipart/alternative; boundary="=_b"\r
        \r
        --=_b\r
        Content-Type: text/plain; charset=utf-8\r
        Content-Transfer-Encoding: quoted-printable\r
        \r
        See [http://127.0.0.1:9/c/plain]\r
        --=_b\r
        Content-Type: text/html; charset=utf-8\r
        Content-Transfer-Encoding: quoted-printable\r
        \r
        <p>Caf=C3=A9</p><a href=3D"http://127.0.0.1:9/c/tok=\r
        en1">x</a><a href=3D"http://127.0.0.1:9/c/token2">y</a><a href=3D"http://127.0.0.1:9/c/token1">x</a>=\r
        <img src=3D"http://127.0.0.1:9/o/pixel.1">\r
        --=_b--\r

        """

    @Test func decodesTheHTMLPartAndFindsTrackingURLs() {
        let message = CapturedMessage(eml: Array(Self.eml.utf8))
        #expect(message.recipient == "ada@example.com")
        #expect(message.html.contains("<p>Café</p>"))
        #expect(message.trackingURLs(base: "http://127.0.0.1:9", kind: "c") == ["http://127.0.0.1:9/c/token1", "http://127.0.0.1:9/c/token2"])
        #expect(message.trackingURLs(base: "http://127.0.0.1:9", kind: "o") == ["http://127.0.0.1:9/o/pixel.1"])
        #expect(message.trackingURLs(base: "http://127.0.0.1:10", kind: "o").isEmpty)
    }

    @Test func base64Parts() {
        let html = "<img src=\"http://127.0.0.1:9/o/b64\">"
        let body = Data(html.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        let eml = "To: a@example.com\r\nContent-Transfer-Encoding: base64\r\n\r\n\(body)\r\n"
        let message = CapturedMessage(eml: Array(eml.utf8))
        #expect(message.trackingURLs(base: "http://127.0.0.1:9", kind: "o") == ["http://127.0.0.1:9/o/b64"])
    }

    @Test func onlyLoopbackHTTPTargets() {
        #expect(LoopbackHTTP.Target("http://127.0.0.1:8080/o/x") == LoopbackHTTP.Target("http://localhost:8080/o/x"))
        #expect(LoopbackHTTP.Target("http://127.0.0.1:8080/o/x")?.path == "/o/x")
        #expect(LoopbackHTTP.Target("https://127.0.0.1:8080/o/x") == nil)
        #expect(LoopbackHTTP.Target("http://10.0.0.1:8080/o/x") == nil)
        #expect(LoopbackHTTP.Target("http://127.0.0.1/o/x") == nil)
    }

    @Test func statusLine() throws {
        #expect(try LoopbackHTTP.status(of: Array("HTTP/1.1 302 Found\r\nLocation: x\r\n\r\n".utf8)) == 302)
        #expect(throws: LoopbackHTTP.Error.self) { try LoopbackHTTP.status(of: Array("SSH-2.0\r\n".utf8)) }
    }

    @Test func theAudienceIsDeterministicAndNearItsRates() {
        let addresses = (0..<20_000).map { "user\($0)@example.com" }
        let choices = addresses.map { SimulatedAudience.choice(for: $0, openRate: 0.4, clickRate: 0.12) }
        #expect(choices == addresses.map { SimulatedAudience.choice(for: $0.uppercased(), openRate: 0.4, clickRate: 0.12) })
        let opens = Double(choices.filter(\.opens).count) / 20_000
        let clicks = Double(choices.filter(\.clicks).count) / 20_000
        #expect(abs(opens - 0.4) < 0.02)
        #expect(abs(clicks - 0.12) < 0.01)
        #expect(choices.allSatisfy { !$0.clicks || $0.opens })
        let nobody = SimulatedAudience.choice(for: "a@b.c", openRate: 0, clickRate: 0)
        #expect(!nobody.opens && !nobody.clicks)
    }
}
