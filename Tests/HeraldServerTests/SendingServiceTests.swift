import Foundation
import GRPCInterop
import HeraldCore
import HeraldMail
import HeraldProtos
import HeraldRPC
import HeraldServer
import HeraldStore
import Testing

/// Sending end to end over gRPC: a real SQLite file, a real capture relay on loopback.
@Suite("Sending", .serialized)
struct SendingServiceTests {
    @Test("the crafted population is sent once each; 550 → USER_UNKNOWN, 450 retried then TRANSIENT_EXHAUSTED")
    func sendsEveryMessageOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        // Prepared by a first server, sent by a second one (a restart in between).
        let (id, ledger) = try await withSendingHerald(directory: directory, relayPort: 1) { client in
            let id = try await CraftedAudience.load(into: client, databasePath: directory.databasePath)
            try await client.prepareUntilReady(id)
            return (id, try await client.allMessages(id, statuses: []))
        }
        #expect(ledger.count == Int(CraftedAudience.toDeliver))
        #expect(ledger.allSatisfy { $0.status == .pending })
        let unknown = ledger[0].address
        let deferred = ledger[1].address
        let outbox = directory.path + "/outbox"
        let relay = try await CaptureRelay.start(
            configuration: CaptureRelay.Configuration(
                directory: outbox,
                recipientResponses: [
                    unknown: .reply(code: 550, text: "5.1.1 no such user"), deferred: .reply(code: 450, text: "4.2.0 try later"),
                ]
            ),
            logger: quietLogger
        )
        defer { Task { await relay.shutdown() } }
        try await withSendingHerald(directory: directory, relayPort: relay.port) { client in
            var request = Herald_V1_SendDeliveryRequest()
            request.deliveryId = id
            let sent = try await client.call(Herald_V1_DeliveryService.sendDelivery, request).delivery
            #expect(sent?.state == .sending)
            let progress = try await client.watchSending(id)
            #expect(!progress.isEmpty)
            for message in progress {
                #expect(message.sent + message.failed + message.pending + message.cancelled == CraftedAudience.toDeliver)
            }
            #expect(progress.last?.state == .completed)
            let rows = try await client.allMessages(id, statuses: [])
            let byAddress = Dictionary(uniqueKeysWithValues: rows.map { ($0.address, $0) })
            #expect(byAddress[unknown]?.status == .failed)
            #expect(byAddress[unknown]?.failureReason == .userUnknown)
            #expect(byAddress[deferred]?.status == .failed)
            #expect(byAddress[deferred]?.failureReason == .transientExhausted)
            #expect(byAddress[deferred]?.attempts == 3)
            let others = rows.filter { $0.address != unknown && $0.address != deferred }
            #expect(others.allSatisfy { $0.status == .sent && $0.attempts == 1 && $0.sentTime != nil && !$0.messageId.isEmpty })
            let sentOnly = try await client.allMessages(id, statuses: [.sent])
            #expect(sentOnly.count == others.count)

            // Every accepted recipient's message is in the outbox exactly once, parseable.
            let files = try FileManager.default.contentsOfDirectory(atPath: outbox).filter { $0.hasSuffix(".eml") }
            #expect(files.count == others.count)
            var recipients: [String: Int] = [:]
            for file in files {
                let text = try String(contentsOfFile: outbox + "/" + file, encoding: .utf8)
                let headers = text.components(separatedBy: "\r\n\r\n").first ?? ""
                #expect(headers.contains("Message-ID: <herald."))
                // An http tracking URL: List-Unsubscribe without the one-click header (RFC 8058 wants https).
                #expect(headers.contains("List-Unsubscribe: <http://127.0.0.1:8080/u/"))
                #expect(text.contains("multipart/alternative"))
                var recipient = ""
                for line in headers.components(separatedBy: "\r\n") where line.hasPrefix("X-Herald-Envelope-To: <") {
                    recipient = String(line.dropFirst("X-Herald-Envelope-To: <".count).dropLast())
                    recipients[recipient, default: 0] += 1
                }
                // The ledger's Message-ID is the message's.
                if let row = byAddress[recipient] {
                    #expect(headers.contains("Message-ID: <\(row.messageId)>"))
                }
            }
            #expect(recipients.count == others.count)
            #expect(recipients.values.allSatisfy { $0 == 1 })
            #expect(Set(recipients.keys) == Set(others.map(\.address)))
        }
        // The hard failure quarantined its address; the 4xx did not.
        let store = try SQLiteStore(path: directory.databasePath, logger: quietLogger)
        defer { try? store.close() }
        #expect(try await store.quarantinedAddresses(among: [unknown, deferred]) == [unknown])
    }

    @Test("pause waits for the messages in flight; resume sends the rest, nothing twice")
    func pauseAndResume() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let outbox = directory.path + "/outbox"
        let relay = try await CaptureRelay.start(configuration: .init(directory: outbox), logger: quietLogger)
        defer { Task { await relay.shutdown() } }
        try await withSendingHerald(directory: directory, relayPort: relay.port) { client in
            let id = try await CraftedAudience.load(into: client, databasePath: directory.databasePath)
            var change = Herald_V1_Delivery()
            change.id = id
            var typology = Herald_V1_Typology()
            typology.rateLimitPerSecond = 40
            change.typology = typology
            var update = Herald_V1_UpdateDeliveryRequest()
            update.delivery = change
            var mask = Google_Protobuf_FieldMask()
            mask.paths = ["typology.rate_limit_per_second"]
            update.updateMask = mask
            _ = try await client.call(Herald_V1_DeliveryService.updateDelivery, update)
            try await client.prepareUntilReady(id)
            var send = Herald_V1_SendDeliveryRequest()
            send.deliveryId = id
            _ = try await client.call(Herald_V1_DeliveryService.sendDelivery, send)
            try await Task.sleep(for: .milliseconds(300))
            var pause = Herald_V1_PauseDeliveryRequest()
            pause.deliveryId = id
            let paused = try await client.call(Herald_V1_DeliveryService.pauseDelivery, pause)
            #expect(paused.delivery?.state == .paused)
            #expect(paused.inFlightCount >= 0 && paused.inFlightCount <= 8)
            let atPause = try await client.allMessages(id, statuses: [.sent]).count
            #expect(atPause > 0 && atPause < Int(CraftedAudience.toDeliver))
            try await Task.sleep(for: .milliseconds(200))
            // Nothing is handed out while PAUSED.
            #expect(try await client.allMessages(id, statuses: [.sent]).count == atPause)
            #expect(relay.statistics.messages == atPause)
            var resume = Herald_V1_ResumeDeliveryRequest()
            resume.deliveryId = id
            #expect(try await client.call(Herald_V1_DeliveryService.resumeDelivery, resume).delivery?.state == .sending)
            let progress = try await client.watchSending(id)
            for message in progress {
                #expect(message.sent + message.failed + message.pending + message.cancelled == CraftedAudience.toDeliver)
            }
            #expect(progress.last?.state == .completed)
            let sent = try await client.allMessages(id, statuses: [.sent])
            #expect(sent.count == Int(CraftedAudience.toDeliver))
            #expect(sent.allSatisfy { $0.attempts == 1 })
            #expect(relay.statistics.messages == Int(CraftedAudience.toDeliver))
            let files = try FileManager.default.contentsOfDirectory(atPath: outbox).filter { $0.hasSuffix(".eml") }
            #expect(files.count == Int(CraftedAudience.toDeliver))
        }
    }

    @Test("SendDelivery refused unless READY and up to date; cancel is final")
    func refusalsAndCancel() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let relay = try await CaptureRelay.start(configuration: .init(directory: directory.path + "/outbox"), logger: quietLogger)
        defer { Task { await relay.shutdown() } }
        try await withSendingHerald(directory: directory, relayPort: relay.port) { client in
            let id = try await CraftedAudience.load(into: client, databasePath: directory.databasePath)
            var send = Herald_V1_SendDeliveryRequest()
            send.deliveryId = id
            await expectRPCError(.failedPrecondition, containing: ["READY"]) {
                _ = try await client.call(Herald_V1_DeliveryService.sendDelivery, send)
            }
            try await client.prepareUntilReady(id)
            // A schedule far ahead: SCHEDULED, then cancelled with every row CANCELLED.
            var change = Herald_V1_Delivery()
            change.id = id
            var schedule = Herald_V1_Schedule()
            var sendTime = Google_Protobuf_Timestamp()
            sendTime.seconds = Int64(Date().timeIntervalSince1970) + 3_600
            schedule.sendTime = sendTime
            change.schedule = schedule
            var update = Herald_V1_UpdateDeliveryRequest()
            update.delivery = change
            var mask = Google_Protobuf_FieldMask()
            mask.paths = ["schedule.send_time"]
            update.updateMask = mask
            _ = try await client.call(Herald_V1_DeliveryService.updateDelivery, update)
            // Changed after the preparation: refused until prepared again.
            await expectRPCError(.failedPrecondition) { _ = try await client.call(Herald_V1_DeliveryService.sendDelivery, send) }
            try await client.prepareUntilReady(id)
            let scheduled = try await client.call(Herald_V1_DeliveryService.sendDelivery, send).delivery
            #expect(scheduled?.state == .scheduled)
            var cancel = Herald_V1_CancelDeliveryRequest()
            cancel.deliveryId = id
            let cancelled = try await client.call(Herald_V1_DeliveryService.cancelDelivery, cancel)
            #expect(cancelled.delivery?.state == .cancelled)
            #expect(cancelled.cancelledCount == CraftedAudience.toDeliver)
            let rows = try await client.allMessages(id, statuses: [.cancelled])
            #expect(rows.count == Int(CraftedAudience.toDeliver))
            var resume = Herald_V1_ResumeDeliveryRequest()
            resume.deliveryId = id
            await expectRPCError(.failedPrecondition) { _ = try await client.call(Herald_V1_DeliveryService.resumeDelivery, resume) }
            #expect(relay.statistics.messages == 0)
        }
    }
}

/// A server over `directory`'s database sending to the relay on `relayPort` (retries
/// after 10 ms, 3 attempts).
func withSendingHerald<R: Sendable>(
    directory: TemporaryDirectory, relayPort: Int, _ body: (GRPCClient) async throws -> R
) async throws -> R {
    try await withHerald(configuration: sendingConfiguration(directory: directory, relayPort: relayPort), body)
}

/// The configuration of a server over `directory`'s database sending to the relay on
/// `relayPort`: `maxInFlight` lanes, retries after 10 ms, 3 attempts, batches of
/// `batchSize`; `perDomain`, when given, bounds both the pool's sessions and the
/// engine's messages per recipient domain (else the engine's default).
func sendingConfiguration(
    directory: TemporaryDirectory, relayPort: Int, maxInFlight: Int = 8, perDomain: Int? = nil, batchSize: Int = 10
) -> HeraldServer.Configuration {
    var configuration = HeraldServer.Configuration(
        grpcAddress: "127.0.0.1:0", shutdownGracePeriod: .seconds(1), databasePath: directory.databasePath
    )
    configuration.smtpRelays = ["127.0.0.1:\(relayPort)"]
    if let perDomain { configuration.smtp.maxPerDomain = perDomain }
    configuration.sending = SendingEngine.Configuration(
        maxInFlight: maxInFlight, maxPerDomain: perDomain ?? 4, maxAttempts: 3, retryBase: .milliseconds(10),
        retryCap: .milliseconds(50), domainBackoffBase: .milliseconds(10), domainBackoffCap: .milliseconds(50),
        batchSize: batchSize
    )
    return configuration
}

extension GRPCClient {
    /// Every ledger row of a delivery with one of `statuses`, in pages of 7.
    func allMessages(_ id: String, statuses: [Herald_V1_MessageStatus]) async throws -> [Herald_V1_DeliveryMessage] {
        var request = Herald_V1_ListMessagesRequest()
        request.deliveryId = id
        request.statuses = statuses
        request.pageSize = 7
        var rows: [Herald_V1_DeliveryMessage] = []
        repeat {
            let page = try await call(Herald_V1_DeliveryService.listMessages, request)
            rows += page.messages
            request.pageToken = page.nextPageToken
        } while !request.pageToken.isEmpty
        return rows
    }

    /// Every message of a WatchSending stream until it ends (at most 2 minutes).
    func watchSending(_ id: String) async throws -> [Herald_V1_SendingProgress] {
        var request = Herald_V1_WatchSendingRequest()
        request.deliveryId = id
        return try await stream(Herald_V1_DeliveryService.watchSending, request, options: .init(timeout: .seconds(120))) { stream in
            var messages: [Herald_V1_SendingProgress] = []
            for try await message in stream { messages.append(message.progress ?? .init()) }
            return messages
        }
    }
}
