import HeraldCore
import HeraldProtos

extension PreparationProgress {
    /// This snapshot as one message of the WatchPreparation stream.
    var proto: Herald_V1_PreparationProgress {
        var message = Herald_V1_PreparationProgress()
        message.deliveryId = deliveryID
        message.state = state.proto
        message.phase = phase.proto
        message.processed = Int64(processed)
        message.total = Int64(total)
        message.kpis = kpis.proto
        message.errorCount = Int64(errorCount)
        message.warningCount = Int64(warningCount)
        message.newLogEntries = newLogEntries.map(\.proto)
        message.updateTime = updateTime.proto
        return message
    }
}
