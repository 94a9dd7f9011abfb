/// How a delivery's messages are rendered besides its templates.
public struct RenderingOptions: Sendable {
    /// The base URL of the tracking HTTP endpoint, without a trailing slash, e.g.
    /// `https://t.example.com`; tracking and unsubscribe URLs are `<base>/<letter>/<token>`.
    public var trackingBaseURL: String
    /// Whether links are rewritten to click-tracking URLs and an open pixel is appended
    /// (``Delivery/trackingEnabled``).
    public var trackingEnabled: Bool
    /// Makes the tokens of the tracking and unsubscribe URLs.
    public var signer: any TrackingTokenSigner

    /// Creates options.
    public init(trackingBaseURL: String, trackingEnabled: Bool = true, signer: any TrackingTokenSigner = UnsignedTrackingTokens()) {
        var base = trackingBaseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.trackingBaseURL = base
        self.trackingEnabled = trackingEnabled
        self.signer = signer
    }

    /// The tracking URL of `action` for a message.
    public func url(_ action: TrackingAction, trackingID: String) -> String {
        "\(trackingBaseURL)/\(action.pathLetter)/\(signer.token(trackingID: trackingID, action: action))"
    }
}
