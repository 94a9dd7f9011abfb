import Foundation
import GRPCInterop
import HeraldCore
import HeraldMail
import HeraldProtos
import HeraldRPC
import HeraldServer
import Testing

/// The sending lanes over a real relay: with PIPELINING each lane keeps its session and
/// sends the next envelope with the previous message's data (seen by the relay: the MAIL
/// arrives before its reply to the data); without, messages go one by one. Either way
/// every message is delivered and committed SENT exactly once.
@Suite("Sending: overlapped messages on kept sessions", .serialized)
struct SendingOverlapTests {
    @Test("every message once, overlapped on kept sessions when the relay pipelines, one by one when not", arguments: [true, false])
    func overlapped(pipelining: Bool) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let outbox = directory.path + "/outbox"
        let relay = try await CaptureRelay.start(
            configuration: .init(directory: outbox, advertisesPipelining: pipelining), logger: quietLogger
        )
        defer { Task { await relay.shutdown() } }
        // The crafted audience has one domain: a bound of 16 per domain lets the 8 lanes
        // each hold one message to commit and the next one begun.
        let configuration = sendingConfiguration(directory: directory, relayPort: relay.port, perDomain: 16)
        try await withHerald(configuration: configuration) { client in
            let id = try await CraftedAudience.load(into: client, databasePath: directory.databasePath)
            try await client.prepareUntilReady(id)
            var send = Herald_V1_SendDeliveryRequest()
            send.deliveryId = id
            _ = try await client.call(Herald_V1_DeliveryService.sendDelivery, send)
            let progress = try await client.watchSending(id)
            for message in progress {
                #expect(message.sent + message.failed + message.pending + message.cancelled == CraftedAudience.toDeliver)
            }
            #expect(progress.last?.state == .completed)
            let sent = try await client.allMessages(id, statuses: [.sent])
            #expect(sent.count == Int(CraftedAudience.toDeliver))
            #expect(sent.allSatisfy { $0.attempts == 1 })
        }
        let statistics = relay.statistics
        #expect(statistics.messages == Int(CraftedAudience.toDeliver))
        let files = try FileManager.default.contentsOfDirectory(atPath: outbox).filter { $0.hasSuffix(".eml") }
        #expect(files.count == Int(CraftedAudience.toDeliver))
        // Sessions are kept: at most one per lane (8), not one per message.
        #expect(statistics.connections <= 8, "\(statistics)")
        if pipelining {
            #expect(statistics.envelopesBeforeReply > 0, "the overlap is in use: \(statistics)")
        } else {
            #expect(statistics.envelopesBeforeReply == 0, "\(statistics)")
        }
    }

    @Test("chained on the event loop over a PIPELINING relay: a 550, a 450 and dropped sessions mid-run; the ledger stays right")
    func chainedWithFailures() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        // Prepared by a first server (the relay is chosen once the addresses are known).
        let (id, ledger) = try await withSendingHerald(directory: directory, relayPort: 1) { client in
            let id = try await CraftedAudience.load(into: client, databasePath: directory.databasePath)
            try await client.prepareUntilReady(id)
            return (id, try await client.allMessages(id, statuses: []))
        }
        #expect(ledger.count == Int(CraftedAudience.toDeliver))
        // Refused in the middle of the run, when the lanes chain.
        let unknown = ledger[13].address
        let deferred = ledger[21].address
        let outbox = directory.path + "/outbox"
        let relay = try await CaptureRelay.start(
            configuration: CaptureRelay.Configuration(
                directory: outbox,
                recipientResponses: [
                    unknown: .reply(code: 550, text: "5.1.1 no such user"), deferred: .reply(code: 450, text: "4.2.0 try later"),
                ],
                closeAfterMessages: 5
            ),
            logger: quietLogger
        )
        defer { Task { await relay.shutdown() } }
        let configuration = sendingConfiguration(
            directory: directory, relayPort: relay.port, maxInFlight: 4, perDomain: 16, batchSize: 40
        )
        try await withHerald(configuration: configuration) { client in
            var send = Herald_V1_SendDeliveryRequest()
            send.deliveryId = id
            _ = try await client.call(Herald_V1_DeliveryService.sendDelivery, send)
            let progress = try await client.watchSending(id)
            for message in progress {
                #expect(message.sent + message.failed + message.pending + message.cancelled == CraftedAudience.toDeliver)
            }
            #expect(progress.last?.state == .completed)
            let rows = try await client.allMessages(id, statuses: [])
            let byAddress = Dictionary(uniqueKeysWithValues: rows.map { ($0.address, $0) })
            #expect(byAddress[unknown]?.status == .failed && byAddress[unknown]?.failureReason == .userUnknown)
            #expect(byAddress[deferred]?.status == .failed && byAddress[deferred]?.failureReason == .transientExhausted)
            #expect(byAddress[deferred]?.attempts == 3)
            let others = rows.filter { $0.address != unknown && $0.address != deferred }
            #expect(others.allSatisfy { $0.status == .sent && $0.attempts == 1 }, "\(others.filter { $0.status != .sent || $0.attempts != 1 })")
            // Every accepted message reached the relay exactly once.
            let statistics = relay.statistics
            #expect(statistics.messages == others.count, "\(statistics)")
            let files = try FileManager.default.contentsOfDirectory(atPath: outbox).filter { $0.hasSuffix(".eml") }
            #expect(files.count == others.count)
            var recipients: [String: Int] = [:]
            for file in files {
                let text = try String(contentsOfFile: outbox + "/" + file, encoding: .utf8)
                for line in text.components(separatedBy: "\r\n") where line.hasPrefix("X-Herald-Envelope-To: <") {
                    recipients[String(line.dropFirst("X-Herald-Envelope-To: <".count).dropLast()), default: 0] += 1
                }
            }
            #expect(recipients.count == others.count && recipients.values.allSatisfy { $0 == 1 }, "\(recipients)")
            // The relay dropped each session after 5 messages: the lanes went on on new ones.
            #expect(statistics.connections >= others.count / 5, "\(statistics)")
            #expect(statistics.envelopesBeforeReply > 0, "the overlap is in use: \(statistics)")
        }
    }
}
