/// Why a targeted profile gets no message (API.md, "Preparation").
///
/// The raw values follow the reference campaign tool and are part of the API: they must
/// not change.
public enum ExclusionCause: Int, Hashable, Sendable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    /// The profile has no email address.
    case addressNotSpecified = 7
    /// The profile is unsubscribed or denylisted.
    case denylisted = 8
    /// The address is quarantined (after hard bounces).
    case quarantined = 9
    /// Another targeted profile with a smaller id has the same address.
    case duplicate = 10
    /// Excluded by a filtering rule.
    case excludedByFilter = 11
    /// Excluded by a pressure rule.
    case excludedAfterArbitration = 12
    /// The address has an invalid syntax (see ``EmailAddress/isValid(_:)``).
    case badQualityAddress = 14
    /// Cut by a capacity rule.
    case targetLimited = 17
    /// The message could not be personalized for this profile.
    case personalizationError = 21
    /// Held out by a control group rule.
    case controlGroup = 127

    /// The API name, e.g. `BAD_QUALITY_ADDRESS`.
    public var name: String {
        switch self {
        case .addressNotSpecified: "ADDRESS_NOT_SPECIFIED"
        case .denylisted: "DENYLISTED"
        case .quarantined: "QUARANTINED"
        case .duplicate: "DUPLICATE"
        case .excludedByFilter: "EXCLUDED_BY_FILTER"
        case .excludedAfterArbitration: "EXCLUDED_AFTER_ARBITRATION"
        case .badQualityAddress: "BAD_QUALITY_ADDRESS"
        case .targetLimited: "TARGET_LIMITED"
        case .personalizationError: "PERSONALIZATION_ERROR"
        case .controlGroup: "CONTROL_GROUP"
        }
    }

    /// `NAME (number)`, e.g. `DUPLICATE (10)`.
    public var description: String { "\(name) (\(rawValue))" }

    public static func < (lhs: ExclusionCause, rhs: ExclusionCause) -> Bool { lhs.rawValue < rhs.rawValue }
}
