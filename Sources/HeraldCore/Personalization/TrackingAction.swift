/// What a tracking URL records when followed.
public enum TrackingAction: Hashable, Sendable {
    /// The open pixel (`/o/<token>`).
    case open
    /// A click on the HTML body's tracked link number `index`, from 0 (`/c/<token>`).
    case click(index: Int)
    /// The unsubscribe link (`/u/<token>`).
    case unsubscribe

    /// The URL path letter: `o`, `c` or `u`.
    public var pathLetter: String {
        switch self {
        case .open: "o"
        case .click: "c"
        case .unsubscribe: "u"
        }
    }
}
