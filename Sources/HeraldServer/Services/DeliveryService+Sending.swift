import GRPCInterop
import HeraldCore
import HeraldProtos
import HeraldRPC

/// SendDelivery, PauseDelivery, ResumeDelivery, CancelDelivery, WatchSending, ListMessages.
extension DeliveryService {
    /// How often WatchSending looks at the progress (it writes at least every 250 ms).
    static let sendingTick = Duration.milliseconds(100)

    func registerSending(into router: inout RPCRouter) {
        router.register(Herald_V1_DeliveryService.sendDelivery, logger: logger) { request, _ in
            try await sendDelivery(request)
        }
        router.register(Herald_V1_DeliveryService.pauseDelivery, logger: logger) { request, _ in
            try await pauseDelivery(request)
        }
        router.register(Herald_V1_DeliveryService.resumeDelivery, logger: logger) { request, _ in
            try await resumeDelivery(request)
        }
        router.register(Herald_V1_DeliveryService.cancelDelivery, logger: logger) { request, _ in
            try await cancelDelivery(request)
        }
        router.register(Herald_V1_DeliveryService.watchSending) { request, writer, _ in
            try await watchSending(request, writer: writer)
        }
        router.register(Herald_V1_DeliveryService.listMessages, logger: logger) { request, _ in
            try await listMessages(request)
        }
    }

    /// The sending engine; UNAVAILABLE when the server was built without one.
    private func sendingEngine() throws -> SendingEngine {
        guard let sending else { throw HeraldError(code: .unavailable, message: "sending is not configured") }
        return sending
    }

    /// Starts sending a READY, up-to-date delivery now (SENDING) or at its send time (SCHEDULED).
    func sendDelivery(_ request: Herald_V1_SendDeliveryRequest) async throws -> Herald_V1_SendDeliveryResponse {
        let id = try Self.requiredID(request.deliveryId)
        let engine = try sendingEngine()
        return try await idempotency.run(requestID: request.requestId, method: Herald_V1_DeliveryService.sendDelivery.path) {
            var response = Herald_V1_SendDeliveryResponse()
            response.delivery = try await engine.send(deliveryID: id).proto
            return response
        }
    }

    /// Pauses a SENDING delivery once the messages in flight are done.
    func pauseDelivery(_ request: Herald_V1_PauseDeliveryRequest) async throws -> Herald_V1_PauseDeliveryResponse {
        let id = try Self.requiredID(request.deliveryId)
        let engine = try sendingEngine()
        return try await idempotency.run(requestID: request.requestId, method: Herald_V1_DeliveryService.pauseDelivery.path) {
            let (delivery, inFlight) = try await engine.pause(deliveryID: id)
            var response = Herald_V1_PauseDeliveryResponse()
            response.delivery = delivery.proto
            response.inFlightCount = Int64(inFlight)
            return response
        }
    }

    /// Resumes a PAUSED delivery.
    func resumeDelivery(_ request: Herald_V1_ResumeDeliveryRequest) async throws -> Herald_V1_ResumeDeliveryResponse {
        let id = try Self.requiredID(request.deliveryId)
        let engine = try sendingEngine()
        return try await idempotency.run(requestID: request.requestId, method: Herald_V1_DeliveryService.resumeDelivery.path) {
            var response = Herald_V1_ResumeDeliveryResponse()
            response.delivery = try await engine.resume(deliveryID: id).proto
            return response
        }
    }

    /// Cancels a SCHEDULED, SENDING or PAUSED delivery for good.
    func cancelDelivery(_ request: Herald_V1_CancelDeliveryRequest) async throws -> Herald_V1_CancelDeliveryResponse {
        let id = try Self.requiredID(request.deliveryId)
        let engine = try sendingEngine()
        return try await idempotency.run(requestID: request.requestId, method: Herald_V1_DeliveryService.cancelDelivery.path) {
            let (delivery, cancelled) = try await engine.cancel(deliveryID: id)
            var response = Herald_V1_CancelDeliveryResponse()
            response.delivery = delivery.proto
            response.cancelledCount = Int64(cancelled)
            return response
        }
    }

    /// Streams a delivery's sending: the current progress first, then every change and at
    /// least one message per ``progressHeartbeat``; ends after a final state, or at once
    /// when the delivery is not SCHEDULED, SENDING or PAUSED.
    func watchSending(
        _ request: Herald_V1_WatchSendingRequest, writer: MessageWriter<Herald_V1_WatchSendingResponse>
    ) async throws {
        let id = try Self.requiredID(request.deliveryId)
        let engine = try sendingEngine()
        let clock = ContinuousClock()
        var last: SendingProgress?
        var lastWrite = clock.now
        while !Task.isCancelled {
            let progress = try await engine.progress(deliveryID: id)
            let changed = last.map { $0.state != progress.state || $0.counts != progress.counts } ?? true
            if changed || clock.now - lastWrite >= Self.progressHeartbeat - Self.sendingTick {
                var response = Herald_V1_WatchSendingResponse()
                response.progress = progress.proto
                try await writer.write(response)
                last = progress
                lastWrite = clock.now
            }
            if progress.state.isFinal || ![.scheduled, .sending, .paused].contains(progress.state) { return }
            try await Task.sleep(for: Self.sendingTick)
        }
    }

    /// A page of a delivery's message ledger by sequence, with one of `statuses` (any when empty).
    func listMessages(_ request: Herald_V1_ListMessagesRequest) async throws -> Herald_V1_ListMessagesResponse {
        let id = try Self.requiredID(request.deliveryId)
        guard let ledger else { throw HeraldError(code: .unavailable, message: "sending is not configured") }
        let limit = try PageToken.pageSize(request.pageSize)
        let kind = "messages:\(id)"
        let after = try PageToken.decode(request.pageToken, kind: kind)
        var statuses: Set<PreparedMessage.Status> = []
        for (index, status) in request.statuses.enumerated() {
            if let status = try PreparedMessage.Status.filter(proto: status, field: "statuses[\(index)]") { statuses.insert(status) }
        }
        guard let delivery = try await deliveries.delivery(id: id) else {
            throw HeraldError.notFound("delivery '\(id)' not found")
        }
        let page = try await ledger.listLedger(
            deliveryID: id, statuses: statuses.isEmpty ? nil : statuses, after: after, limit: limit
        )
        var response = Herald_V1_ListMessagesResponse()
        response.messages = page.items.map { entry in
            entry.proto(
                messageID: MIMEMessageComposer.messageID(
                    deliveryID: id, profileID: entry.message.profileID, senderAddress: delivery.content.sender.address
                ).value
            )
        }
        response.nextPageToken = PageToken.encode(page.nextCursor, kind: kind)
        return response
    }
}
