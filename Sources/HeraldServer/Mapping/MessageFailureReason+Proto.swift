import HeraldCore
import HeraldProtos

extension MessageFailureReason {
    /// A request's reason (`RecordEvents` bounces), or nil when unspecified or unknown.
    init?(proto: Herald_V1_FailureReason) {
        switch proto {
        case .userUnknown: self = .userUnknown
        case .invalidDomain: self = .invalidDomain
        case .mailboxFull: self = .mailboxFull
        case .refused: self = .refused
        case .unreachable: self = .unreachable
        case .expired: self = .expired
        case .rejectedContent: self = .rejectedContent
        case .transientExhausted: self = .transientExhausted
        case .quarantined: self = .quarantined
        case .other: self = .other
        default: return nil
        }
    }
}
