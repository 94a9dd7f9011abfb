import GRPCInterop
import HeraldCore
import HeraldProtos
import HeraldRPC

/// PrepareDelivery, StopPreparation, WatchPreparation, ListDeliveryLogs, ListExclusions.
extension DeliveryService {
    /// The longest a WatchPreparation stream stays silent: when nothing changed for
    /// this long, the latest snapshot is sent again (without log entries).
    static let progressHeartbeat = Duration.milliseconds(250)
    /// How often a watch checks whether a heartbeat is due.
    static let progressTick = Duration.milliseconds(50)

    func registerPreparation(into router: inout RPCRouter) {
        router.register(Herald_V1_DeliveryService.prepareDelivery, logger: logger) { request, _ in
            try await prepareDelivery(request)
        }
        router.register(Herald_V1_DeliveryService.stopPreparation, logger: logger) { request, _ in
            try await stopPreparation(request)
        }
        router.register(Herald_V1_DeliveryService.watchPreparation) { request, writer, _ in
            try await watchPreparation(request, writer: writer)
        }
        router.register(Herald_V1_DeliveryService.listDeliveryLogs, logger: logger) { request, _ in
            try await listDeliveryLogs(request)
        }
        router.register(Herald_V1_DeliveryService.listExclusions, logger: logger) { request, _ in
            try await listExclusions(request)
        }
    }

    /// Starts the preparation in the background and returns the delivery in PREPARING;
    /// while it is PREPARING, returns it without starting another run.
    func prepareDelivery(_ request: Herald_V1_PrepareDeliveryRequest) async throws -> Herald_V1_PrepareDeliveryResponse {
        let id = try Self.requiredID(request.deliveryId)
        return try await idempotency.run(requestID: request.requestId, method: Herald_V1_DeliveryService.prepareDelivery.path) {
            var response = Herald_V1_PrepareDeliveryResponse()
            response.delivery = try await engine.prepare(deliveryID: id).proto
            return response
        }
    }

    /// Stops a running preparation; returns the delivery in DRAFT once the run has
    /// ended, with nothing kept but a log entry. FAILED_PRECONDITION when not PREPARING.
    func stopPreparation(_ request: Herald_V1_StopPreparationRequest) async throws -> Herald_V1_StopPreparationResponse {
        let id = try Self.requiredID(request.deliveryId)
        return try await idempotency.run(requestID: request.requestId, method: Herald_V1_DeliveryService.stopPreparation.path) {
            var response = Herald_V1_StopPreparationResponse()
            response.delivery = try await engine.stop(deliveryID: id).proto
            return response
        }
    }

    /// Streams a preparation: the current snapshot first, then every change (coalesced
    /// for a slow client) and at least one message per ``progressHeartbeat``, ending
    /// after the final snapshot. A delivery that is not preparing gets one message, its
    /// last preparation's outcome; state UNSPECIFIED (and no KPIs) when it has no current
    /// preparation: never prepared, or changed since its last preparation ended (stale:
    /// the old outcome is not reported as current).
    ///
    /// The engine's watch is read by a child task into a ``ProgressMailbox``; this task
    /// writes, so a client that reads slowly or goes away changes nothing for the run or
    /// for other watchers (its task is cancelled and both end).
    func watchPreparation(
        _ request: Herald_V1_WatchPreparationRequest, writer: MessageWriter<Herald_V1_WatchPreparationResponse>
    ) async throws {
        let id = try Self.requiredID(request.deliveryId)
        let watch: PreparationWatch
        do {
            watch = try await engine.watch(deliveryID: id)
        } catch let error as HeraldError where error.code == .failedPrecondition {
            var never = Herald_V1_PreparationProgress()
            never.deliveryId = id
            never.kpis = PreparationKPIs().proto
            never.updateTime = now().proto
            var response = Herald_V1_WatchPreparationResponse()
            response.progress = never
            try await writer.write(response)
            return
        }
        let mailbox = ProgressMailbox()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await progress in watch { mailbox.post(progress) }
                mailbox.finish()
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: Self.progressTick)
                    mailbox.tick()
                }
            }
            let clock = ContinuousClock()
            var last: PreparationProgress?
            var lastWrite = clock.now
            for await _ in mailbox.wakeups {
                if let progress = mailbox.take() {
                    try await writer.write(Self.watchResponse(progress))
                    last = progress
                    lastWrite = clock.now
                    if progress.state.isFinal { break }
                } else if var repeated = last, clock.now - lastWrite >= Self.progressHeartbeat - Self.progressTick {
                    repeated.newLogEntries = []
                    repeated.updateTime = now()
                    try await writer.write(Self.watchResponse(repeated))
                    lastWrite = clock.now
                }
            }
            group.cancelAll()
        }
    }

    private static func watchResponse(_ progress: PreparationProgress) -> Herald_V1_WatchPreparationResponse {
        var response = Herald_V1_WatchPreparationResponse()
        response.progress = progress.proto
        return response
    }

    /// A page of a delivery's preparation log, oldest first, of `min_severity` or above.
    func listDeliveryLogs(_ request: Herald_V1_ListDeliveryLogsRequest) async throws -> Herald_V1_ListDeliveryLogsResponse {
        let id = try Self.requiredID(request.deliveryId)
        let limit = try PageToken.pageSize(request.pageSize)
        let kind = "delivery-logs:\(id)"
        let after = try PageToken.decode(request.pageToken, kind: kind)
        let minimum = try LogSeverity.filter(proto: request.minSeverity, field: "min_severity")
        try await requireDelivery(id)
        let page = try await preparations.listLogEntries(deliveryID: id, minimumSeverity: minimum, after: after, limit: limit)
        var response = Herald_V1_ListDeliveryLogsResponse()
        response.logEntries = page.items.map(\.proto)
        response.nextPageToken = PageToken.encode(page.nextCursor, kind: kind)
        return response
    }

    /// A page of a delivery's exclusions, by profile id, with one of `causes` (any when empty).
    func listExclusions(_ request: Herald_V1_ListExclusionsRequest) async throws -> Herald_V1_ListExclusionsResponse {
        let id = try Self.requiredID(request.deliveryId)
        let limit = try PageToken.pageSize(request.pageSize)
        let kind = "exclusions:\(id)"
        let after = try PageToken.decode(request.pageToken, kind: kind)
        var causes: Set<ExclusionCause> = []
        for (index, cause) in request.causes.enumerated() {
            if let cause = try ExclusionCause.filter(proto: cause, field: "causes[\(index)]") { causes.insert(cause) }
        }
        try await requireDelivery(id)
        let page = try await preparations.listExclusions(
            deliveryID: id, causes: causes.isEmpty ? nil : causes, after: after, limit: limit
        )
        var response = Herald_V1_ListExclusionsResponse()
        response.exclusions = page.items.map(\.proto)
        response.nextPageToken = PageToken.encode(page.nextCursor, kind: kind)
        return response
    }

    /// - Throws: ``HeraldError/Code/notFound`` when there is no such delivery.
    private func requireDelivery(_ id: String) async throws {
        guard try await deliveries.delivery(id: id) != nil else {
            throw HeraldError.notFound("delivery '\(id)' not found")
        }
    }
}
