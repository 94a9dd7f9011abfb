import HeraldCore
import HeraldProtos

extension PreparationState {
    /// This state as the API returns it.
    var proto: Herald_V1_PreparationState {
        switch self {
        case .running: .running
        case .succeeded: .succeeded
        case .failed: .failed
        case .stopped: .stopped
        }
    }
}
