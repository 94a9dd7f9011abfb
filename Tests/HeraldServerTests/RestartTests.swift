import GRPCInterop
import HeraldProtos
import HeraldRPC
import HeraldServer
import Testing

@Suite("Herald data survives a restart on the same file")
struct RestartTests {
    @Test("profiles, deliveries and idempotency records are there after a restart")
    func survivesRestart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let delivery = try await withHerald(databasePath: directory.databasePath) { client async throws in
            _ = try await client.upsert((0..<500).map { profileMessage("p\($0)", tags: $0 % 2 == 0 ? ["even"] : []) })
            var subscribe = Herald_V1_SetSubscriptionRequest()
            subscribe.profileId = "p7"
            subscribe.subscription = .denylisted
            _ = try await client.call(Herald_V1_ProfileService.setSubscription, subscribe)
            return try await client.createDelivery(deliveryMessage(name: "Kept"), requestID: "create-kept")
        }
        try await withHerald(databasePath: directory.databasePath) { client async throws in
            #expect(try await client.count("") == 500)
            #expect(try await client.count(#"tags HAS "even""#) == 250)
            #expect(try await client.getProfile("p7").subscription == .denylisted)
            #expect(try await client.getDelivery(delivery.id) == delivery)
            #expect(try await client.createDelivery(deliveryMessage(name: "New"), requestID: "create-kept") == delivery)
            #expect(try await client.listDeliveries().deliveries.count == 1)
        }
    }

    @Test("an unusable database path fails the start with a clear error")
    func badDatabasePath() async throws {
        do {
            try await withHerald(databasePath: "/nonexistent-dir/sub/herald.sqlite") { _ in }
            Issue.record("the server started")
        } catch let error as HeraldServer.StartupError {
            #expect(error.message.contains("/nonexistent-dir/sub/herald.sqlite"))
        }
    }
}
