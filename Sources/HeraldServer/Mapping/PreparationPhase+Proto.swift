import HeraldCore
import HeraldProtos

extension PreparationPhase {
    /// This phase as the API returns it.
    var proto: Herald_V1_PreparationPhase {
        switch self {
        case .targeting: .targeting
        case .rules: .rules
        case .personalizing: .personalizing
        case .finalizing: .finalizing
        }
    }
}

extension Optional where Wrapped == PreparationPhase {
    /// The phase as the API returns it; UNSPECIFIED when there is none.
    var proto: Herald_V1_PreparationPhase { self?.proto ?? .unspecified }
}
