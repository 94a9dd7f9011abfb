/// What rendering needs to know about one message besides the profile.
public struct MessageIdentity: Hashable, Sendable {
    /// The message's tracking id (``PreparedMessage/trackingID``): tracking tokens and
    /// `{{view_id}}` are made from it.
    public var trackingID: String

    /// Creates an identity.
    public init(trackingID: String) {
        self.trackingID = trackingID
    }
}
