import HeraldCore

/// The tracking URLs of a delivery's messages: ``RenderingOptions/url(_:trackingID:)``,
/// made as bytes without intermediate strings: when the signer is
/// ``UnsignedTrackingTokens`` (`<base>/<letter>/<percent-encoded id>.<suffix>`) here,
/// otherwise through ``TrackingTokenSigner/appendToken(trackingID:action:to:)`` (the
/// HMAC signer writes its token straight into the buffer).
///
/// A class: every message's writer refers to the one of its compiled content (a copy of
/// a struct holding the options' existential signer cost more than the URL itself).
final class TrackingURLs: Sendable {
    let options: RenderingOptions
    /// Whether the signer is ``UnsignedTrackingTokens`` (URLs are made here).
    let isUnsigned: Bool
    /// Whether the base URL holds a byte that HTML escaping changes (the rest of an
    /// unsigned URL never does: letters, digits, `-._~%/`).
    let baseNeedsEscaping: Bool
    private let base: [UInt8]

    init(_ options: RenderingOptions) {
        self.options = options
        isUnsigned = options.signer is UnsignedTrackingTokens
        base = Array(options.trackingBaseURL.utf8)
        baseNeedsEscaping = base.contains { $0 == 0x3C || $0 == 0x3E || $0 == 0x26 || $0 == 0x22 || $0 == 0x27 }
    }

    /// Appends the unsigned URL of `action` for the message whose percent-encoded
    /// tracking id is `encodedID`.
    func appendUnsigned(_ action: TrackingAction, encodedID: [UInt8], to out: inout some ByteSink) {
        out.write(base)
        out.write(byte: UInt8(ascii: "/"))
        switch action {
        case .open: out.write(byte: UInt8(ascii: "o"))
        case .click: out.write(byte: UInt8(ascii: "c"))
        case .unsubscribe: out.write(byte: UInt8(ascii: "u"))
        }
        out.write(byte: UInt8(ascii: "/"))
        out.write(encodedID)
        out.write(byte: UInt8(ascii: "."))
        switch action {
        case .open: out.write(byte: UInt8(ascii: "o"))
        case .unsubscribe: out.write(byte: UInt8(ascii: "u"))
        case .click(let index):
            out.write(byte: UInt8(ascii: "c"))
            Self.appendDecimal(index, to: &out)
        }
    }

    /// The length of ``appendUnsigned(_:encodedID:to:)``'s URL when the percent-encoded
    /// tracking id is `encodedIDLength` bytes long.
    func unsignedLength(_ action: TrackingAction, encodedIDLength: Int) -> Int {
        // `<base>/<letter>/<id>.<letter>` and a click's decimal index.
        let suffix: Int
        switch action {
        case .open, .unsubscribe: suffix = 0
        case .click(let index): suffix = Self.decimalLength(index)
        }
        return base.count + 5 + encodedIDLength + suffix
    }

    /// The length of `String(value)`.
    static func decimalLength(_ value: Int) -> Int {
        guard value >= 0 else { return String(value).utf8.count }
        var length = 1, rest = value
        while rest >= 10 {
            rest /= 10
            length += 1
        }
        return length
    }

    /// The length of ``percentEncoded(_:)``.
    static func percentEncodedLength(_ text: String) -> Int {
        var length = 0
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                length += 1
            default:
                length += 3
            }
        }
        return length
    }

    /// The length of `<base>/<letter>/<token>` when the signer knows its tokens' length
    /// (and promises they need no HTML escaping).
    func signedLength(_ action: TrackingAction, trackingID: String) -> Int? {
        options.signer.tokenLength(trackingID: trackingID, action: action).map { base.count + 3 + $0 }
    }

    /// Appends `<base>/<letter>/<token>` of a signed token to `out`.
    func appendSigned(_ action: TrackingAction, trackingID: String, to out: inout [UInt8]) {
        out.append(contentsOf: base)
        out.append(UInt8(ascii: "/"))
        switch action {
        case .open: out.append(UInt8(ascii: "o"))
        case .click: out.append(UInt8(ascii: "c"))
        case .unsubscribe: out.append(UInt8(ascii: "u"))
        }
        out.append(UInt8(ascii: "/"))
        options.signer.appendToken(trackingID: trackingID, action: action, to: &out)
    }

    /// `String(value)`'s bytes.
    static func appendDecimal(_ value: Int, to out: inout some ByteSink) {
        guard value >= 0, value < 1_000_000 else {
            out.write(String(value))
            return
        }
        var divisor = 1
        while divisor * 10 <= value { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            out.write(byte: UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    /// ``UnsignedTrackingTokens``' encoding: RFC 3986 unreserved bytes kept, others
    /// percent-encoded.
    static func percentEncoded(_ text: String) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                out.append(b)
            default:
                out.write(byte: UInt8(ascii: "%"))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            }
        }
        return out
    }
}
