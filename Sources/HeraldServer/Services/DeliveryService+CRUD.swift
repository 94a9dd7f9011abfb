import GRPCInterop
import HeraldCore
import HeraldProtos
import HeraldRPC
import Synchronization

/// CreateDelivery, GetDelivery, ListDeliveries, UpdateDelivery, DeleteDelivery.
extension DeliveryService {
    func registerCRUD(into router: inout RPCRouter) {
        router.register(Herald_V1_DeliveryService.createDelivery, logger: logger) { request, _ in
            try await createDelivery(request)
        }
        router.register(Herald_V1_DeliveryService.getDelivery, logger: logger) { request, _ in
            try await getDelivery(request)
        }
        router.register(Herald_V1_DeliveryService.listDeliveries, logger: logger) { request, _ in
            try await listDeliveries(request)
        }
        router.register(Herald_V1_DeliveryService.updateDelivery, logger: logger) { request, _ in
            try await updateDelivery(request)
        }
        router.register(Herald_V1_DeliveryService.deleteDelivery, logger: logger) { request, _ in
            try await deleteDelivery(request)
        }
    }

    func createDelivery(_ request: Herald_V1_CreateDeliveryRequest) async throws -> Herald_V1_CreateDeliveryResponse {
        guard let proposed = request.delivery else { throw HeraldError.invalidArgument("delivery is required") }
        return try await idempotency.run(requestID: request.requestId, method: Herald_V1_DeliveryService.createDelivery.path) {
            let time = now()
            var delivery = Delivery(
                id: DeliveryID.make(at: time), name: "", content: .init(subject: "", sender: .init(address: ""), htmlBody: ""),
                createTime: time, updateTime: time
            )
            try delivery.apply(proposed, fields: .all)
            try delivery.validate()
            try await deliveries.createDelivery(delivery)
            var response = Herald_V1_CreateDeliveryResponse()
            response.delivery = try await withKPIs(delivery)
            return response
        }
    }

    func getDelivery(_ request: Herald_V1_GetDeliveryRequest) async throws -> Herald_V1_GetDeliveryResponse {
        let id = try Self.requiredID(request.deliveryId)
        guard let delivery = try await deliveries.delivery(id: id) else {
            throw HeraldError.notFound("delivery '\(id)' not found")
        }
        var response = Herald_V1_GetDeliveryResponse()
        response.delivery = try await withKPIs(delivery)
        return response
    }

    func listDeliveries(_ request: Herald_V1_ListDeliveriesRequest) async throws -> Herald_V1_ListDeliveriesResponse {
        let limit = try PageToken.pageSize(request.pageSize)
        let after = try PageToken.decode(request.pageToken, kind: Self.pageTokenKind)
        var states: Set<Delivery.State>? = nil
        if !request.states.isEmpty {
            states = []
            for (index, state) in request.states.enumerated() {
                states!.insert(try Delivery.State(proto: state, field: "states[\(index)]"))
            }
        }
        let page = try await deliveries.listDeliveries(states: states, after: after, limit: limit)
        var response = Herald_V1_ListDeliveriesResponse()
        for delivery in page.items { response.deliveries.append(try await withKPIs(delivery)) }
        response.nextPageToken = PageToken.encode(page.nextCursor, kind: Self.pageTokenKind)
        return response
    }

    /// Changes the fields named by the mask. Any change returns a READY or
    /// PREPARATION_FAILED delivery to DRAFT and discards its stale preparation (exclusions,
    /// log entries and prepared messages; the summary stays, with the old snapshot hash);
    /// PREPARING, SCHEDULED, SENDING, PAUSED and the final states refuse with
    /// FAILED_PRECONDITION.
    func updateDelivery(_ request: Herald_V1_UpdateDeliveryRequest) async throws -> Herald_V1_UpdateDeliveryResponse {
        guard let proposed = request.delivery else { throw HeraldError.invalidArgument("delivery is required") }
        let id = try Self.requiredID(proposed.id, field: "delivery.id")
        let mask = try DeliveryFieldMask(paths: request.updateMask?.paths ?? [])
        return try await idempotency.run(requestID: request.requestId, method: Herald_V1_DeliveryService.updateDelivery.path) {
            let time = now()
            let previous = Mutex<Delivery.State?>(nil)
            let updated = try await deliveries.updateDelivery(id: id) { delivery in
                let next = try delivery.state.applying(.contentChanged)
                try delivery.apply(proposed, fields: mask)
                try delivery.validate()
                previous.withLock { $0 = delivery.state }
                delivery.state = next
                delivery.updateTime = time
            }
            // The next preparation would discard these results too; doing it now leaves no
            // stale prepared message behind. Only while the delivery is as this update left
            // it, decided in the discard's transaction: a PrepareDelivery that lands in
            // between keeps its run's rows.
            if let stale = previous.withLock({ $0 }), stale == .ready || stale == .preparationFailed {
                _ = try await preparations.discardStalePreparation(deliveryID: id, updatedAt: updated.updateTime)
            }
            var response = Herald_V1_UpdateDeliveryResponse()
            response.delivery = try await withKPIs(updated)
            return response
        }
    }

    func deleteDelivery(_ request: Herald_V1_DeleteDeliveryRequest) async throws -> Herald_V1_DeleteDeliveryResponse {
        let id = try Self.requiredID(request.deliveryId)
        return try await idempotency.run(requestID: request.requestId, method: Herald_V1_DeliveryService.deleteDelivery.path) {
            try await deliveries.deleteDelivery(id: id) { delivery in
                try delivery.state.checkDeletable()
            }
            return Herald_V1_DeleteDeliveryResponse()
        }
    }
}
