import HeraldCore
import HeraldProtos

extension Exclusion {
    /// This exclusion as the API returns it.
    var proto: Herald_V1_ExclusionEntry {
        var message = Herald_V1_ExclusionEntry()
        message.profileId = profileID
        message.address = address
        message.cause = cause.proto
        message.ruleName = ruleName
        return message
    }
}
