import GRPCInterop
import HeraldCore
import HeraldProtos
import HeraldRPC

/// WatchKpis, and the live KPIs that GetDelivery and ListDeliveries return.
extension DeliveryService {
    func registerKPIs(into router: inout RPCRouter) {
        router.register(Herald_V1_DeliveryService.watchKpis) { request, writer, _ in
            try await watchKPIs(request, writer: writer)
        }
    }

    /// Streams KPI snapshots of one delivery (`delivery_id`) or of every active one
    /// (empty): the current snapshot(s) first, then each change, coalesced by the
    /// ``KPIBoard`` (at most one snapshot per delivery per board interval, 100 ms).
    ///
    /// This task only writes: the board posts into the watch's latest-value slots, so a
    /// client that reads slowly gets fewer, newer snapshots and holds up nothing (one
    /// outstanding write per stream); a client that goes away cancels this task, which
    /// removes the watch at once.
    ///
    /// The stream of one delivery stays open whatever its state (a COMPLETED delivery's
    /// opens and clicks keep coming in long after sending), until the client cancels it;
    /// it ends with NOT_FOUND when the delivery is deleted. Every stream ends with
    /// UNAVAILABLE when the server shuts down, so a client knows to reconnect.
    func watchKPIs(_ request: Herald_V1_WatchKpisRequest, writer: MessageWriter<Herald_V1_WatchKpisResponse>) async throws {
        guard let kpis else { throw HeraldError(code: .unavailable, message: "KPIs are not configured") }
        let id: String? = request.deliveryId.isEmpty ? nil : request.deliveryId
        let reason = try await kpis.withWatch(deliveryID: id) { watch in
            for await _ in watch.wakeups {
                for snapshot in watch.take() {
                    var response = Herald_V1_WatchKpisResponse()
                    response.update = snapshot.updateProto
                    try await writer.write(response)
                }
            }
            return watch.endReason
        }
        switch reason {
        case .deleted?: throw HeraldError.notFound("delivery '\(request.deliveryId)' was deleted")
        case .shutdown?: throw HeraldError(code: .unavailable, message: "the server is shutting down")
        case .removed?, nil: return
        }
    }

    /// A delivery as CreateDelivery, GetDelivery, ListDeliveries and UpdateDelivery return
    /// it, with its live KPIs (so that one delivery reads the same through all four).
    func withKPIs(_ delivery: Delivery) async throws -> Herald_V1_Delivery {
        var message = delivery.proto
        if let kpis {
            message.kpis = try await kpis.snapshot(of: delivery).proto
        }
        return message
    }
}
