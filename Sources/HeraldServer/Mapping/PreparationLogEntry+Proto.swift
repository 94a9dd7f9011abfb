import HeraldCore
import HeraldProtos

extension PreparationLogEntry {
    /// This entry as the API returns it.
    var proto: Herald_V1_DeliveryLogEntry {
        var message = Herald_V1_DeliveryLogEntry()
        message.time = time.proto
        message.severity = severity.proto
        message.message = self.message
        message.code = code
        message.phase = phase.proto
        message.profileId = profileID
        return message
    }
}
