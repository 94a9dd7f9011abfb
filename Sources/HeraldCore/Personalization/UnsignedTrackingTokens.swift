/// A placeholder ``TrackingTokenSigner`` with NO signature: the token is the tracking id
/// and the action in clear (`<tracking id>.o`, `<tracking id>.c3`, `<tracking id>.u`),
/// percent-encoded to be URL-path-safe.
///
/// Anyone can forge such a token: it is replaced by the HMAC-signed signer of the
/// tracking issue before the tracking endpoint serves anything.
public struct UnsignedTrackingTokens: TrackingTokenSigner {
    /// Creates the placeholder signer.
    public init() {}

    public func token(trackingID: String, action: TrackingAction) -> String {
        let suffix: String
        switch action {
        case .open: suffix = "o"
        case .click(let index): suffix = "c\(index)"
        case .unsubscribe: suffix = "u"
        }
        return Self.percentEncoded(trackingID) + "." + suffix
    }

    /// Keeps RFC 3986 unreserved bytes, percent-encodes the others.
    static func percentEncoded(_ text: String) -> String {
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
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
