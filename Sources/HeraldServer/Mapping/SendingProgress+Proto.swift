import HeraldCore
import HeraldProtos

extension SendingProgress {
    /// This snapshot as WatchSending streams it.
    var proto: Herald_V1_SendingProgress {
        var proto = Herald_V1_SendingProgress()
        proto.deliveryId = deliveryID
        proto.state = state.proto
        proto.total = Int64(counts.total)
        proto.sent = Int64(counts.sent)
        proto.failed = Int64(counts.failed)
        proto.pending = Int64(counts.pending)
        proto.cancelled = Int64(counts.cancelled)
        proto.throughput = throughput
        proto.estimatedCompletionTime = estimatedCompletion?.proto
        proto.updateTime = updateTime.proto
        return proto
    }
}
