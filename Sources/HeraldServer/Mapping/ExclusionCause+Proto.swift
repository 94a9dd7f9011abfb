import HeraldCore
import HeraldProtos

extension ExclusionCause {
    /// The cause a request names (a ListExclusions filter); `nil` for UNSPECIFIED,
    /// which a filter reads as "any cause".
    ///
    /// - Throws: ``HeraldError/Code/invalidArgument`` for a number that is not a cause.
    static func filter(proto: Herald_V1_ExclusionCause, field: String) throws(HeraldError) -> ExclusionCause? {
        if proto == .unspecified { return nil }
        guard let cause = ExclusionCause(rawValue: Int(proto.rawValue)) else {
            throw .invalidArgument("\(field): \(proto.rawValue) is not a known exclusion cause")
        }
        return cause
    }

    /// This cause as the API returns it (the numbers are the same on both sides).
    var proto: Herald_V1_ExclusionCause {
        Herald_V1_ExclusionCause(rawValue: Int32(rawValue))
    }
}
