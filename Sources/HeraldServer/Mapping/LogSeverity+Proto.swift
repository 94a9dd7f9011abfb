import HeraldCore
import HeraldProtos

extension LogSeverity {
    /// The minimum severity a request names (a ListDeliveryLogs filter); `nil` for
    /// UNSPECIFIED, which a filter reads as "every severity".
    ///
    /// - Throws: ``HeraldError/Code/invalidArgument`` for an unknown value.
    static func filter(proto: Herald_V1_LogSeverity, field: String) throws(HeraldError) -> LogSeverity? {
        switch proto {
        case .unspecified: nil
        case .info: .info
        case .warning: .warning
        case .error: .error
        case .unrecognized(let value): throw .invalidArgument("\(field): \(value) is not a known log severity")
        }
    }

    /// This severity as the API returns it.
    var proto: Herald_V1_LogSeverity {
        switch self {
        case .info: .info
        case .warning: .warning
        case .error: .error
        }
    }
}
