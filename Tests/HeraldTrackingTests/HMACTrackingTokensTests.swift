import Foundation
import HeraldCore
import HeraldTracking
import Testing

@Suite("HMAC tracking tokens")
struct HMACTrackingTokensTests {
    static let keyA = try! TrackingKey(id: "a1", secret: Array("0123456789abcdef-secret-A".utf8))
    static let keyB = try! TrackingKey(id: "b2", secret: Array("fedcba9876543210-secret-B".utf8))
    static let actions: [TrackingAction] = [.open, .unsubscribe, .click(index: 0), .click(index: 7), .click(index: 12_345)]

    @Test("every action round-trips, deterministically", arguments: actions)
    func roundTrip(action: TrackingAction) throws {
        let tokens = try HMACTrackingTokens(keys: [Self.keyA])
        for trackingID in ["d-7f3a.1", "0194c3b2-aaaa-7bbb-8ccc-123456789abc.1000000", "odd id/with?chars&é.42"] {
            let token = tokens.token(trackingID: trackingID, action: action)
            #expect(token == tokens.token(trackingID: trackingID, action: action))
            #expect(tokens.tokenLength(trackingID: trackingID, action: action) == token.utf8.count)
            #expect(token.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || "-._~%".utf8.contains(b)
            })
            var bytes: [UInt8] = Array("prefix".utf8)
            tokens.appendToken(trackingID: trackingID, action: action, to: &bytes)
            #expect(bytes == Array(("prefix" + token).utf8))
            let verified = try #require(tokens.verify(token))
            #expect(verified.trackingID == trackingID)
            #expect(verified.action == action)
        }
    }

    @Test("different messages and actions give different tokens")
    func distinct() throws {
        let tokens = try HMACTrackingTokens(keys: [Self.keyA])
        var seen: Set<String> = []
        for seq in 1...50 {
            for action in Self.actions {
                #expect(seen.insert(tokens.token(trackingID: "d1.\(seq)", action: action)).inserted)
            }
        }
    }

    @Test("forged, truncated and altered tokens do not verify")
    func tampering() throws {
        let tokens = try HMACTrackingTokens(keys: [Self.keyA])
        let token = tokens.token(trackingID: "d-1.17", action: .click(index: 2))
        #expect(tokens.verify(token) != nil)
        // Every truncation.
        for length in 0..<token.count {
            #expect(tokens.verify(String(token.prefix(length))) == nil, "prefix \(length)")
        }
        // Every single-character change.
        let bytes = Array(token.utf8)
        for i in bytes.indices {
            for replacement in ["A", "z", "0", "-", "_", "."].map({ UInt8(ascii: Unicode.Scalar($0)!) }) where replacement != bytes[i] {
                var altered = bytes
                altered[i] = replacement
                #expect(tokens.verify(String(decoding: altered, as: UTF8.self)) == nil, "byte \(i)")
            }
        }
        // Another message's or action's MAC on this message.
        let other = tokens.token(trackingID: "d-1.18", action: .click(index: 2))
        let swapped = String(token.dropLast(16)) + String(other.suffix(16))
        #expect(tokens.verify(swapped) == nil)
        let asOpen = token.replacingOccurrences(of: ".c2.", with: ".o.")
        #expect(asOpen != token)
        #expect(tokens.verify(asOpen) == nil)
        // The unsigned placeholder's tokens and garbage.
        #expect(tokens.verify(UnsignedTrackingTokens().token(trackingID: "d-1.17", action: .open)) == nil)
        for garbage in ["", ".", "....", "x.o.a1.AAAAAAAAAAAAAAAA", String(repeating: "a", count: 2000)] {
            #expect(tokens.verify(garbage) == nil)
        }
    }

    @Test("a token of another key or an unknown key id does not verify")
    func otherKey() throws {
        let a = try HMACTrackingTokens(keys: [Self.keyA])
        let b = try HMACTrackingTokens(keys: [Self.keyB])
        let sameIDOtherSecret = try HMACTrackingTokens(keys: [TrackingKey(id: "a1", secret: Array("another secret of 16+ bytes".utf8))])
        let token = a.token(trackingID: "d.1", action: .open)
        #expect(b.verify(token) == nil)
        #expect(sameIDOtherSecret.verify(token) == nil)
        #expect(sameIDOtherSecret.token(trackingID: "d.1", action: .open) != token)
    }

    @Test("rotation: the new key signs, the old key still verifies")
    func rotation() throws {
        let old = try HMACTrackingTokens(keys: [Self.keyA])
        let rotated = try HMACTrackingTokens(keys: [Self.keyB, Self.keyA])
        let oldToken = old.token(trackingID: "d.9", action: .unsubscribe)
        let newToken = rotated.token(trackingID: "d.9", action: .unsubscribe)
        #expect(rotated.signingKeyID == "b2")
        #expect(newToken != oldToken)
        #expect(newToken.contains(".b2."))
        #expect(rotated.verify(oldToken)?.trackingID == "d.9")
        #expect(rotated.verify(newToken)?.action == .unsubscribe)
        #expect(old.verify(newToken) == nil)
    }

    @Test("keys: KEYID:SECRET parsing and refusals")
    func keys() throws {
        let key = try TrackingKey(parsing: "k_1:0123456789abcdef:with-colon")
        #expect(key.id == "k_1")
        #expect(key.secret == Array("0123456789abcdef:with-colon".utf8))
        #expect(throws: TrackingKey.Error.self) { try TrackingKey(parsing: "no-colon") }
        #expect(throws: TrackingKey.Error.self) { try TrackingKey(parsing: "k:short") }
        #expect(throws: TrackingKey.Error.self) { try TrackingKey(parsing: "bad.id:0123456789abcdef") }
        #expect(throws: TrackingKey.Error.self) { try HMACTrackingTokens(keys: []) }
        #expect(throws: TrackingKey.Error.self) { try HMACTrackingTokens(keys: [Self.keyA, Self.keyA]) }
    }

    @Test("machine open user agents")
    func machineAgents() {
        #expect(MachineOpenRule.isMachineUserAgent("Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"))
        #expect(MachineOpenRule.isMachineUserAgent("YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html"))
        #expect(MachineOpenRule.isMachineUserAgent("Mozilla/5.0"))
        #expect(MachineOpenRule.isMachineUserAgent(""))
        #expect(!MachineOpenRule.isMachineUserAgent("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"))
        #expect(!MachineOpenRule.isMachineUserAgent("Python-urllib/3.11"))
    }
}

@Suite("HMAC-SHA256 with precomputed key states")
struct KeyedMACTests {
    @Test("equals swift-crypto's HMAC<SHA256> for random keys and messages of every length 0...300")
    func matchesSwiftCrypto() throws {
        var generator = SystemRandomNumberGenerator()
        for length in 0...300 {
            for keyLength in [16, 32, 64, 65, 100] {
                let key = (0..<keyLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                #expect(HMACTrackingTokens.testMAC(secret: key, message: message) == HMACTrackingTokens.referenceMAC(secret: key, message: message))
            }
        }
    }
}
