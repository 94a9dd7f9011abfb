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
        var configuration = HeraldServer.Configuration(
            grpcAddress: "127.0.0.1:0", shutdownGracePeriod: .seconds(1), databasePath: directory.databasePath
        )
        configuration.smtpRelays = ["127.0.0.1:\(relay.port)"]
        // The crafted audience has one domain: a bound of 16 per domain lets the 8 lanes
        // each hold one message to commit and the next one begun.
        configuration.smtp.maxPerDomain = 16
        configuration.sending = SendingEngine.Configuration(
            maxInFlight: 8, maxPerDomain: 16, maxAttempts: 3, retryBase: .milliseconds(10), retryCap: .milliseconds(50),
            domainBackoffBase: .milliseconds(10), domainBackoffCap: .milliseconds(50), batchSize: 10
        )
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
}
