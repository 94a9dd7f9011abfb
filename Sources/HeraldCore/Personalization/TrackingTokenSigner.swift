/// Makes the tokens of tracking URLs (`<base>/o/<token>`, `<base>/c/<token>`,
/// `<base>/u/<token>`) from a message's tracking id and an action.
///
/// HeraldTracking's `HMACTrackingTokens` is the HMAC-signed implementation that the
/// tracking HTTP endpoint verifies; ``UnsignedTrackingTokens`` is a placeholder for
/// tests. A token must be URL-path-safe and deterministic: rendering a message again
/// gives the same tokens.
public protocol TrackingTokenSigner: Sendable {
    /// The token of `action` for the message with this tracking id.
    func token(trackingID: String, action: TrackingAction) -> String

    /// Appends the bytes of ``token(trackingID:action:)`` to `out`: renderers call it
    /// for every URL of every message, so an implementation should not allocate here.
    func appendToken(trackingID: String, action: TrackingAction, to out: inout [UInt8])

    /// The length of ``token(trackingID:action:)`` in bytes, computed without making the
    /// token, or nil when unknown. Non-nil promises a token of RFC 3986 unreserved bytes
    /// and `%` only (nothing HTML escaping changes): a renderer that only measures
    /// messages (the preparation's size checks) then skips the signature entirely.
    func tokenLength(trackingID: String, action: TrackingAction) -> Int?
}

extension TrackingTokenSigner {
    /// Appends the UTF-8 bytes of ``token(trackingID:action:)``.
    public func appendToken(trackingID: String, action: TrackingAction, to out: inout [UInt8]) {
        out.append(contentsOf: token(trackingID: trackingID, action: action).utf8)
    }

    /// Unknown (nil): renderers make the token to measure it.
    public func tokenLength(trackingID: String, action: TrackingAction) -> Int? { nil }
}
