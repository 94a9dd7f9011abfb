internal import Crypto
public import HeraldCore

/// Tracking tokens signed with HMAC-SHA256 under a key id, so that the tracking endpoint
/// recognises the tokens it made and nothing else.
///
/// A token is `<tracking id>.<action>.<key id>.<mac>`:
/// - the message's tracking id (`<delivery id>.<sequence>`), RFC 3986 unreserved bytes
///   kept and any other byte percent-encoded;
/// - the action: `o` (open), `u` (unsubscribe) or `c<N>` (click on tracked link N);
/// - the id of the key that signed it;
/// - the first 96 bits (12 bytes) of HMAC-SHA256 over everything before the last dot, in
///   base64url without padding (16 characters). 96 bits is the truncation RFC 2104 and
///   NIST SP 800-107 allow for HMAC (at least 80 bits and half the output): a forger must
///   guess it online, each guess costing one HTTP request.
///
/// Every character is URL-path-safe (`A-Z a-z 0-9 - . _ ~ %`); the same message and action
/// always give the same token (no nonce: tokens are rendered again at send time and must
/// match the preparation's bytes). The tracking id is readable in the token, as it is in
/// `{{view_id}}`; only the signature is secret.
///
/// Keys rotate: the first key signs, every key verifies, so tokens of messages sent
/// before a new key was put first stay valid while the old key is still listed.
///
/// Cost (`make bench-tokens`): about 0.7 µs per token, made straight into the
/// renderer's buffer (``appendToken(trackingID:action:to:)``, no intermediate string);
/// the HMAC's keyed inner and outer states are prepared once per key. Measuring a message
/// (what the preparation does for every recipient) needs no MAC at all:
/// ``tokenLength(trackingID:action:)`` gives the length.
public struct HMACTrackingTokens: TrackingTokenSigner {
    /// Bytes of the MAC kept in a token (96 bits).
    public static let macLength = 12
    /// Characters of the MAC in a token (base64url of 12 bytes).
    public static let encodedMACLength = 16
    /// The longest token ``verify(_:)`` looks at.
    public static let maximumTokenLength = 512

    /// The keys, the signing key first.
    public let keys: [TrackingKey]
    private let signingID: [UInt8]
    private let signingMAC: KeyedMAC
    private let verifiers: [String: KeyedMAC]

    /// Creates the signer; `keys.first` signs, all verify.
    ///
    /// - Throws: ``TrackingKey/Error`` when `keys` is empty or two keys share an id.
    public init(keys: [TrackingKey]) throws(TrackingKey.Error) {
        guard let first = keys.first else { throw TrackingKey.Error(message: "no tracking key") }
        var verifiers: [String: KeyedMAC] = [:]
        for key in keys {
            guard verifiers[key.id] == nil else { throw TrackingKey.Error(message: "tracking key id '\(key.id)' given twice") }
            verifiers[key.id] = KeyedMAC(secret: key.secret)
        }
        self.keys = keys
        signingID = Array(first.id.utf8)
        signingMAC = verifiers[first.id] ?? KeyedMAC(secret: first.secret)
        self.verifiers = verifiers
    }

    /// The id of the signing key.
    public var signingKeyID: String { keys[0].id }

    public func token(trackingID: String, action: TrackingAction) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(trackingID.utf8.count + 32)
        appendToken(trackingID: trackingID, action: action, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public func tokenLength(trackingID: String, action: TrackingAction) -> Int? {
        var length = 0
        for byte in trackingID.utf8 { length += Self.isUnreserved(byte) ? 1 : 3 }
        switch action {
        case .open, .unsubscribe: length += 1
        case .click(let index):
            var digits = 1
            var rest = max(0, index)
            while rest >= 10 {
                rest /= 10
                digits += 1
            }
            length += 1 + digits
        }
        return length + 3 + signingID.count + Self.encodedMACLength
    }

    public func appendToken(trackingID: String, action: TrackingAction, to out: inout [UInt8]) {
        let start = out.count
        for byte in trackingID.utf8 {
            if Self.isUnreserved(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(Self.hexDigits[Int(byte >> 4)])
                out.append(Self.hexDigits[Int(byte & 0xF)])
            }
        }
        out.append(UInt8(ascii: "."))
        switch action {
        case .open: out.append(UInt8(ascii: "o"))
        case .unsubscribe: out.append(UInt8(ascii: "u"))
        case .click(let index):
            out.append(UInt8(ascii: "c"))
            Self.appendDecimal(max(0, index), to: &out)
        }
        out.append(UInt8(ascii: "."))
        out.append(contentsOf: signingID)
        let end = out.count
        var mac = Self.zeroMAC
        out.withUnsafeBufferPointer { buffer in
            signingMAC.authenticate(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: buffer[start..<end])), into: &mac)
        }
        out.append(UInt8(ascii: "."))
        Self.appendBase64URL(mac, to: &out)
    }

    /// The tracking id and action of a token this signer (under any of its keys) made,
    /// or nil for anything else: a forged, truncated or altered token, a token of an
    /// unknown key, or one that is not in the format.
    public func verify(_ token: String) -> (trackingID: String, action: TrackingAction)? {
        var token = token
        return token.withUTF8 { verify(bytes: $0) }
    }

    /// ``verify(_:)`` over the token's UTF-8 bytes.
    public func verify(bytes: UnsafeBufferPointer<UInt8>) -> (trackingID: String, action: TrackingAction)? {
        let n = bytes.count
        guard n <= Self.maximumTokenLength, n > Self.encodedMACLength + 6 else { return nil }
        let macDot = n - Self.encodedMACLength - 1
        guard bytes[macDot] == UInt8(ascii: ".") else { return nil }
        guard let given = Self.decodeBase64URL(UnsafeBufferPointer(rebasing: bytes[(macDot + 1)...])) else { return nil }
        // Key id: between the previous dot and the MAC's.
        var keyDot = macDot - 1
        while keyDot >= 0 && bytes[keyDot] != UInt8(ascii: ".") { keyDot -= 1 }
        guard keyDot > 0, macDot - keyDot - 1 >= 1 else { return nil }
        let keyID = String(decoding: UnsafeBufferPointer(rebasing: bytes[(keyDot + 1)..<macDot]), as: UTF8.self)
        guard let verifier = verifiers[keyID] else { return nil }
        var expected = Self.zeroMAC
        verifier.authenticate(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[0..<macDot])), into: &expected)
        guard Self.constantTimeEqual(given, expected) else { return nil }
        // Signed by us: parse the rest (a token we made always parses; be strict anyway).
        var actionDot = keyDot - 1
        while actionDot >= 0 && bytes[actionDot] != UInt8(ascii: ".") { actionDot -= 1 }
        guard actionDot > 0 else { return nil }
        guard let action = Self.parseAction(UnsafeBufferPointer(rebasing: bytes[(actionDot + 1)..<keyDot])),
              let trackingID = Self.percentDecoded(UnsafeBufferPointer(rebasing: bytes[0..<actionDot]))
        else { return nil }
        return (trackingID, action)
    }

    // MARK: Encoding

    private static let hexDigits = Array("0123456789ABCDEF".utf8)
    private static let base64URLAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    static let zeroMAC = MAC12(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    private static func appendBase64URL(_ mac: MAC12, to out: inout [UInt8]) {
        withUnsafeBytes(of: mac) { raw in
            var i = 0
            while i < macLength {
                let triple = UInt32(raw[i]) << 16 | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2])
                out.append(base64URLAlphabet[Int(triple >> 18 & 0x3F)])
                out.append(base64URLAlphabet[Int(triple >> 12 & 0x3F)])
                out.append(base64URLAlphabet[Int(triple >> 6 & 0x3F)])
                out.append(base64URLAlphabet[Int(triple & 0x3F)])
                i += 3
            }
        }
    }

    private static func base64URLValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt32(byte - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt32(byte - UInt8(ascii: "a")) + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0")) + 52
        case UInt8(ascii: "-"): 62
        case UInt8(ascii: "_"): 63
        default: nil
        }
    }

    private static func decodeBase64URL(_ text: UnsafeBufferPointer<UInt8>) -> MAC12? {
        guard text.count == encodedMACLength else { return nil }
        var mac = zeroMAC
        let ok = withUnsafeMutableBytes(of: &mac) { raw -> Bool in
            var o = 0
            var i = 0
            while i < encodedMACLength {
                guard let a = base64URLValue(text[i]), let b = base64URLValue(text[i + 1]),
                      let c = base64URLValue(text[i + 2]), let d = base64URLValue(text[i + 3])
                else { return false }
                let triple = a << 18 | b << 12 | c << 6 | d
                raw[o] = UInt8(truncatingIfNeeded: triple >> 16)
                raw[o + 1] = UInt8(truncatingIfNeeded: triple >> 8)
                raw[o + 2] = UInt8(truncatingIfNeeded: triple)
                o += 3
                i += 4
            }
            return true
        }
        return ok ? mac : nil
    }

    private static func constantTimeEqual(_ a: MAC12, _ b: MAC12) -> Bool {
        withUnsafeBytes(of: a) { a in
            withUnsafeBytes(of: b) { b in
                var difference: UInt8 = 0
                for i in 0..<macLength { difference |= a[i] ^ b[i] }
                return difference == 0
            }
        }
    }

    private static func parseAction(_ text: UnsafeBufferPointer<UInt8>) -> TrackingAction? {
        guard let first = text.first else { return nil }
        switch first {
        case UInt8(ascii: "o") where text.count == 1: return .open
        case UInt8(ascii: "u") where text.count == 1: return .unsubscribe
        case UInt8(ascii: "c"):
            let digits = UnsafeBufferPointer(rebasing: text[1...])
            guard !digits.isEmpty, digits.count <= 6, digits.count == 1 || digits[0] != UInt8(ascii: "0") else { return nil }
            var index = 0
            for d in digits {
                guard d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") else { return nil }
                index = index * 10 + Int(d - UInt8(ascii: "0"))
            }
            return .click(index: index)
        default:
            return nil
        }
    }

    private static func percentDecoded(_ text: UnsafeBufferPointer<UInt8>) -> String? {
        guard !text.isEmpty else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            let byte = text[i]
            if byte == UInt8(ascii: "%") {
                guard i + 2 < text.count, let high = hexValue(text[i + 1]), let low = hexValue(text[i + 2]) else { return nil }
                out.append(high << 4 | low)
                i += 3
            } else {
                guard isUnreserved(byte) else { return nil }
                out.append(byte)
                i += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// 12 MAC bytes without an allocation.
typealias MAC12 = (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)

extension HMACTrackingTokens {
    /// The 12-byte MAC of `message` as tokens use it (for tests).
    package static func testMAC(secret: [UInt8], message: [UInt8]) -> [UInt8] {
        var mac = zeroMAC
        message.withUnsafeBytes { KeyedMAC(secret: secret).authenticate($0, into: &mac) }
        return withUnsafeBytes(of: mac) { Array($0) }
    }

    /// The first 12 bytes of swift-crypto's `HMAC<SHA256>` (for tests).
    package static func referenceMAC(secret: [UInt8], message: [UInt8]) -> [UInt8] {
        Array(Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret)))[0..<macLength])
    }
}
