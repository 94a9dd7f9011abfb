import Foundation
import GRPCInterop
import HeraldCore
import HeraldMail
import HeraldProtos
import HeraldRPC
import HeraldServer
import HeraldStore
import HeraldTracking
import Testing

/// TrackingService.RecordEvents end to end: a delivery really sent to a capture relay,
/// events keyed by tokens signed with the server's key, counts read back from the file.
@Suite("Tracking", .serialized)
struct TrackingServiceTests {
    static let key = "e2e:0123456789abcdef-e2e-secret"

    @Test("RecordEvents: distinct and total counts, duplicates, errors, request_id, hard bounce → FAILED + quarantine + cause 9")
    func recordEvents() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let relay = try await CaptureRelay.start(
            configuration: CaptureRelay.Configuration(directory: directory.path + "/outbox"), logger: quietLogger
        )
        defer { Task { await relay.shutdown() } }
        let tokens = try HMACTrackingTokens(keys: [TrackingKey(parsing: Self.key)])

        let (deliveryID, ledger) = try await withTrackingHerald(directory: directory, relayPort: relay.port) { client in
            _ = try await client.upsert((1...5).map { profileMessage("p\($0)", firstName: "P\($0)") })
            var delivery = deliveryMessage()
            var content = delivery.content ?? .init()
            content.htmlBody = """
                <p>Hi {{first_name}}</p><a href="https://example.com/a?x=1&amp;y=2">A</a>
                <a href="https://example.com/b/{{first_name}}">B</a><a href="{{unsubscribe_url}}">unsubscribe</a>
                """
            delivery.content = content
            let id = try await client.createDelivery(delivery).id
            try await client.prepareUntilReady(id)
            var send = Herald_V1_SendDeliveryRequest()
            send.deliveryId = id
            _ = try await client.call(Herald_V1_DeliveryService.sendDelivery, send)
            try await client.trackingWaitUntilSent(id)
            let store = try SQLiteStore(path: directory.databasePath, logger: quietLogger)
            defer { try? store.close() }
            let ledger = try await store.listLedger(deliveryID: id, statuses: nil, after: nil, limit: 100).items
            return (id, ledger)
        }
        #expect(ledger.count == 5)
        #expect(ledger.allSatisfy { $0.message.status == .sent })
        let ids = ledger.map(\.message.trackingID)
        let later = ledger[0].sentTime.map { Timestamp(microsecondsSinceEpoch: $0.microsecondsSinceEpoch + 3_600_000_000) }
        func event(_ index: Int, _ action: TrackingAction = .open, _ payload: Herald_V1_TrackingEvent.OneOf_Payload) -> Herald_V1_TrackingEvent {
            var event = Herald_V1_TrackingEvent()
            event.token = tokens.token(trackingID: ids[index], action: action)
            event.occurTime = later?.protoForTests
            event.payload = payload
            return event
        }
        let humanOpen = Herald_V1_TrackingEvent.OneOf_Payload.openEvent({ var o = Herald_V1_OpenEvent(); o.userAgent = "Thunderbird/128"; return o }())
        let machineOpen = Herald_V1_TrackingEvent.OneOf_Payload.openEvent({ var o = Herald_V1_OpenEvent(); o.machineOpen = true; return o }())
        let click = Herald_V1_TrackingEvent.OneOf_Payload.clickEvent(.init())
        var bounce = Herald_V1_BounceEvent()
        bounce.bounceType = .hard
        bounce.reason = .userUnknown
        bounce.diagnostic = "5.1.1 user unknown"

        let directoryPath = directory.databasePath
        try await withTrackingHerald(directory: directory, relayPort: relay.port) { client in
            var request = Herald_V1_RecordEventsRequest()
            request.events = [
                event(0, .open, humanOpen), event(0, .open, humanOpen), event(0, .open, humanOpen),  // 1 distinct, 3 total
                event(1, .open, machineOpen),  // machine only
                event(1, .click(index: 0), click), event(1, .click(index: 0), click),  // 1 distinct, 2 total
                { var e = event(2, .open, humanOpen); e.token = String(e.token.dropLast()) + "A"; return e }(),  // forged
                { var e = Herald_V1_TrackingEvent(); e.token = tokens.token(trackingID: "\(deliveryID).999", action: .open); e.payload = humanOpen; return e }(),
                { var e = event(2, .open, humanOpen); e.payload = nil; return e }(),  // no payload
                event(3, .unsubscribe, .bounceEventMessage(bounce)),
                event(4, .unsubscribe, .unsubscribeEvent(.init())),
            ]
            request.requestId = "batch-1"
            let first = try await client.call(Herald_V1_TrackingService.recordEvents, request)
            #expect(first.acceptedCount == 8)
            #expect(first.errors.map(\.index) == [6, 7, 8])
            #expect(first.errors.map(\.message) == ["invalid token", "unknown message", "the event has no payload"])
            // A retry with the same request_id returns the first result and records nothing again.
            let retry = try await client.call(Herald_V1_TrackingService.recordEvents, request)
            #expect(retry == first)

            // A click whose URL is not a link of the content is refused; the exact link is accepted.
            var clicks = Herald_V1_RecordEventsRequest()
            var outside = Herald_V1_ClickEvent()
            outside.url = "https://evil.example.net/"
            var inside = Herald_V1_ClickEvent()
            inside.url = "https://example.com/b/P3"
            // An open by a person's user agent 1 s after the send: a machine open (window 5 s).
            var early = event(2, .open, humanOpen)
            early.occurTime = ledger[2].sentTime.map { Timestamp(microsecondsSinceEpoch: $0.microsecondsSinceEpoch + 1_000_000) }?.protoForTests
            clicks.events = [event(2, .open, .clickEvent(outside)), event(2, .open, .clickEvent(inside)), early]
            let clicked = try await client.call(Herald_V1_TrackingService.recordEvents, clicks)
            #expect(clicked.acceptedCount == 2)
            #expect(clicked.errors.map(\.index) == [0])

            // 20 concurrent duplicate opens of message 4: one recipient, 20 events, machine → human.
            try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        var one = Herald_V1_RecordEventsRequest()
                        one.events = [event(1, .open, humanOpen)]
                        return try await client.call(Herald_V1_TrackingService.recordEvents, one).acceptedCount
                    }
                }
                var accepted: Int64 = 0
                for try await count in group { accepted += count }
                #expect(accepted == 20)
            }
            // The profile that unsubscribed is UNSUBSCRIBED.
            let p = ledger[4].message.profileID
            #expect(try await client.getProfile(p).subscription == .unsubscribed)

            // The hard bounce moved the row to FAILED with its reason.
            var list = Herald_V1_ListMessagesRequest()
            list.deliveryId = deliveryID
            list.statuses = [.failed]
            let failed = try await client.call(Herald_V1_DeliveryService.listMessages, list).messages
            #expect(failed.map(\.address) == [ledger[3].message.address])
            #expect(failed.first?.failureReason == .userUnknown)

            // The next preparation excludes the quarantined address with cause 9.
            let next = try await client.createDelivery(deliveryMessage(name: "Next"))
            try await client.prepareUntilReady(next.id)
            var exclusions = Herald_V1_ListExclusionsRequest()
            exclusions.deliveryId = next.id
            let excluded = try await client.call(Herald_V1_DeliveryService.listExclusions, exclusions).exclusions
            #expect(excluded.contains { $0.address == ledger[3].message.address && $0.cause == .quarantined })
            #expect(excluded.contains { $0.profileId == p && $0.cause == .denylisted })
        }
        // Persisted: a new store over the file (after the server stopped) reads the same counts.
        let store = try SQLiteStore(path: directoryPath, logger: quietLogger)
        defer { try? store.close() }
        let counts = try await store.engagementCounts(deliveryID: deliveryID)
        #expect(counts == EngagementCounts(
            opens: 2, machineOpens: 1, totalOpens: 25, clicks: 2, totalClicks: 3, unsubscribes: 1, hardBounces: 1, softBounces: 0,
            complaints: 0
        ))
    }
}

extension Herald_V1_TrackingEvent.OneOf_Payload {
    static func bounceEventMessage(_ bounce: Herald_V1_BounceEvent) -> Self { .bounceEvent(bounce) }
}

extension Timestamp {
    var protoForTests: Google_Protobuf_Timestamp {
        var message = Google_Protobuf_Timestamp()
        message.seconds = seconds
        message.nanos = nanoseconds
        return message
    }
}

/// A server over `directory`'s database sending to the relay on `relayPort`, signing
/// tracking tokens with ``TrackingServiceTests/key``.
private func withTrackingHerald<R: Sendable>(
    directory: TemporaryDirectory, relayPort: Int, _ body: (GRPCClient) async throws -> R
) async throws -> R {
    var configuration = HeraldServer.Configuration(
        grpcAddress: "127.0.0.1:0", shutdownGracePeriod: .seconds(1), databasePath: directory.databasePath
    )
    configuration.smtpRelays = ["127.0.0.1:\(relayPort)"]
    configuration.trackingKeys = [TrackingServiceTests.key]
    return try await withHerald(configuration: configuration, body)
}

extension GRPCClient {
    /// Waits until a sending delivery completed.
    fileprivate func trackingWaitUntilSent(_ id: String) async throws {
        for _ in 0..<1200 {
            let state = try await getDelivery(id).state
            if state == .completed { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the delivery did not complete")
    }
}
