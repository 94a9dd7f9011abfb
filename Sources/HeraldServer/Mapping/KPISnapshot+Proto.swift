import HeraldCore
import HeraldProtos

extension KPISnapshot {
    /// These KPIs as `Delivery.kpis` and `KpiUpdate.kpis` carry them.
    ///
    /// `opens` and `machine_opens` are ``EngagementCounts/opens`` (recipients who opened)
    /// and ``EngagementCounts/machineOpens`` as the tracking recorder counts them, so that
    /// `open_rate = opens ÷ delivered` as API.md defines it.
    var proto: Herald_V1_DeliveryKpis {
        var kpis = Herald_V1_DeliveryKpis()
        kpis.targeted = Int64(targeted)
        kpis.toDeliver = Int64(toDeliver)
        kpis.sent = Int64(sent)
        kpis.delivered = Int64(delivered)
        kpis.failed = Int64(failed)
        kpis.pending = Int64(pending)
        kpis.cancelled = Int64(cancelled)
        kpis.opens = Int64(engagement.opens)
        kpis.machineOpens = Int64(engagement.machineOpens)
        kpis.totalOpens = Int64(engagement.totalOpens)
        kpis.clicks = Int64(engagement.clicks)
        kpis.totalClicks = Int64(engagement.totalClicks)
        kpis.unsubscribes = Int64(engagement.unsubscribes)
        kpis.hardBounces = Int64(engagement.hardBounces)
        kpis.softBounces = Int64(engagement.softBounces)
        kpis.complaints = Int64(engagement.complaints)
        kpis.throughput = throughput
        kpis.deliveryRate = deliveryRate
        kpis.deliveryRateToDeliver = deliveryRateToDeliver
        kpis.openRate = openRate
        kpis.clickRate = clickRate
        return kpis
    }

    /// This snapshot as one `WatchKpis` message.
    var updateProto: Herald_V1_KpiUpdate {
        var update = Herald_V1_KpiUpdate()
        update.deliveryId = deliveryID
        update.state = state.proto
        update.kpis = proto
        update.updateTime = updateTime.proto
        return update
    }
}
