/// Makes the tokens of tracking URLs (`<base>/o/<token>`, `<base>/c/<token>`,
/// `<base>/u/<token>`) from a message's tracking id and an action.
///
/// The tracking issue provides the HMAC-signed implementation that the tracking HTTP
/// endpoint verifies; until then ``UnsignedTrackingTokens`` stands in. A token must be
/// URL-path-safe and deterministic: rendering a message again gives the same tokens.
public protocol TrackingTokenSigner: Sendable {
    /// The token of `action` for the message with this tracking id.
    func token(trackingID: String, action: TrackingAction) -> String
}
