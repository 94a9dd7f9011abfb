public import GRPCInterop
public import HeraldCore
import HeraldProtos
import HeraldRPC
public import HeraldTracking
public import Logging

/// `herald.v1.TrackingService`: events reported by external tracking servers and bounce
/// processors, identified by their messages' signed tracking tokens.
///
/// Each event is checked on its own: a token that does not verify, an unknown message,
/// a missing payload or a click URL that is not a link of the delivery's content puts
/// one entry in `errors` and records nothing for that event; the others are recorded
/// through the ``TrackingRecorder`` (persisted before the call answers).
public struct TrackingService: Sendable {
    /// The most events one `RecordEvents` call may carry.
    public static let maxBatch = 10_000

    let tokens: HMACTrackingTokens
    let recorder: TrackingRecorder
    let store: any TrackingEventStore
    let links: TrackedLinkResolver
    let idempotency: Idempotency
    let now: @Sendable () -> Timestamp
    let logger: Logger

    /// Creates the service; `now` is the clock (the system's by default).
    public init(
        tokens: HMACTrackingTokens, recorder: TrackingRecorder, store: any TrackingEventStore, links: TrackedLinkResolver,
        idempotency: any IdempotencyStore, logger: Logger, now: (@Sendable () -> Timestamp)? = nil
    ) {
        let now = now ?? SystemClock.now
        self.tokens = tokens
        self.recorder = recorder
        self.store = store
        self.links = links
        self.idempotency = Idempotency(store: idempotency, now: now)
        self.now = now
        self.logger = logger
    }

    /// Registers every RPC of the service.
    public func register(into router: inout RPCRouter) {
        router.register(Herald_V1_TrackingService.recordEvents, logger: logger) { request, _ in
            try await recordEvents(request)
        }
    }

    func recordEvents(_ request: Herald_V1_RecordEventsRequest) async throws -> Herald_V1_RecordEventsResponse {
        let count = request.events.count
        guard count <= Self.maxBatch else {
            throw HeraldError.invalidArgument("a batch holds at most \(Self.maxBatch) events (got \(count))")
        }
        return try await idempotency.run(requestID: request.requestId, method: Herald_V1_TrackingService.recordEvents.path) {
            var events: [TrackingEvent] = []
            var indices: [Int] = []
            var errors: [Herald_V1_TrackingEventError] = []
            let time = now()
            for (index, message) in request.events.enumerated() {
                switch try await event(message, defaultTime: time) {
                case .success(let event):
                    events.append(event)
                    indices.append(index)
                case .failure(let rejection):
                    errors.append(Self.error(index: index, rejection.message))
                }
            }
            let outcomes = try await recorder.record(events)
            var accepted = 0
            for (k, outcome) in outcomes.enumerated() {
                switch outcome {
                case .recorded: accepted += 1
                case .unknownMessage: errors.append(Self.error(index: indices[k], "unknown message"))
                }
            }
            errors.sort { $0.index < $1.index }
            var response = Herald_V1_RecordEventsResponse()
            response.acceptedCount = Int64(accepted)
            response.errors = errors
            return response
        }
    }

    private struct Rejection: Error {
        var message: String
    }

    /// The domain event of a request's event, or why it is refused.
    private func event(_ message: Herald_V1_TrackingEvent, defaultTime: Timestamp) async throws -> Result<TrackingEvent, Rejection> {
        guard let (trackingID, action) = tokens.verify(message.token), let id = TrackingEvent.parseTrackingID(trackingID) else {
            return .failure(Rejection(message: "invalid token"))
        }
        var time = defaultTime
        if let occur = message.occurTime {
            do throws(HeraldError) {
                time = try Timestamp(proto: occur, field: "occur_time")
            } catch {
                return .failure(Rejection(message: error.message))
            }
        }
        let kind: TrackingEvent.Kind
        switch message.payload {
        case nil:
            return .failure(Rejection(message: "the event has no payload"))
        case .openEvent(let open):
            kind = .open(userAgent: open.userAgent, machine: open.machineOpen || MachineOpenRule.isMachineUserAgent(open.userAgent))
        case .clickEvent(let click):
            guard let tracked = try await store.trackedMessage(deliveryID: id.deliveryID, sequence: id.sequence) else {
                return .failure(Rejection(message: "unknown message"))
            }
            if case .click(let index) = action, let url = try await links.url(index: index, message: tracked),
               click.url.isEmpty || click.url == url {
                kind = .click(linkIndex: index, url: url, userAgent: click.userAgent)
            } else if !click.url.isEmpty, let index = try await links.urls(message: tracked).firstIndex(of: click.url) {
                kind = .click(linkIndex: index, url: click.url, userAgent: click.userAgent)
            } else {
                return .failure(Rejection(message: "the click's url is not a link of the delivery's content"))
            }
        case .bounceEvent(let bounce):
            let hard: Bool
            switch bounce.bounceType {
            case .hard: hard = true
            case .soft: hard = false
            default: return .failure(Rejection(message: "bounce_type must be BOUNCE_TYPE_HARD or BOUNCE_TYPE_SOFT"))
            }
            kind = .bounce(hard: hard, reason: MessageFailureReason(proto: bounce.reason) ?? .other, diagnostic: bounce.diagnostic)
        case .unsubscribeEvent(let unsubscribe):
            kind = .unsubscribe(method: unsubscribe.method.isEmpty ? "api" : unsubscribe.method)
        case .complaintEvent(let complaint):
            kind = .complaint(feedbackType: complaint.feedbackType)
        }
        return .success(TrackingEvent(deliveryID: id.deliveryID, sequence: id.sequence, time: time, kind: kind))
    }

    private static func error(index: Int, _ message: String) -> Herald_V1_TrackingEventError {
        var error = Herald_V1_TrackingEventError()
        error.index = Int32(index)
        error.message = message
        return error
    }
}
