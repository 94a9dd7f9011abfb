import Foundation
import GRPCInterop
import HeraldCore
import HeraldProtos
import HeraldRPC
import HeraldServer
import HeraldStore
import Logging
import Testing

/// A quiet logger for servers under test.
let quietLogger = Logger(label: "herald-server-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// A directory under the system's temporary directory, removed by `cleanup()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "herald-server-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    var databasePath: String { path + "/herald.sqlite" }

    func cleanup() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Runs a real `HeraldServer` on 127.0.0.1 (ephemeral port) over the SQLite file at
/// `databasePath`, hands a connected client to `body`, then shuts both down gracefully.
func withHerald<R: Sendable>(
    databasePath: String, preparation: PreparationEngine.Configuration = HeraldServer.Configuration.defaultPreparation,
    _ body: (GRPCClient) async throws -> R
) async throws -> R {
    var configuration = HeraldServer.Configuration(
        grpcAddress: "127.0.0.1:0", maxMessageLength: 16 * 1024 * 1024, shutdownGracePeriod: .seconds(1),
        databasePath: databasePath, preparation: preparation
    )
    // The default capture relay writes beside the database, never into the working tree.
    let databaseDirectory = databasePath.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    configuration.captureDirectory = (databaseDirectory.isEmpty ? "." : databaseDirectory) + "/default-outbox"
    return try await withHerald(configuration: configuration, body)
}

/// Runs a real `HeraldServer` with `configuration` (its gRPC address should be
/// `127.0.0.1:0`), hands a connected client to `body`, then shuts both down gracefully.
func withHerald<R: Sendable>(
    configuration: HeraldServer.Configuration, _ body: (GRPCClient) async throws -> R
) async throws -> R {
    let server = HeraldServer(configuration: configuration, logger: quietLogger)
    let (started, continuation) = AsyncStream<GRPCServer>.makeStream()
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            defer { continuation.finish() }
            try await server.run { continuation.yield($0) }
        }
        var iterator = started.makeAsyncIterator()
        guard let grpc = await iterator.next() else {
            try await group.waitForAll()
            throw RPCError(code: .internal, message: "the server stopped before it started")
        }
        let client = GRPCClient(
            target: "127.0.0.1:\(grpc.port)",
            configuration: .init(maxReceiveMessageLength: 16 * 1024 * 1024, maxSendMessageLength: 16 * 1024 * 1024)
        )
        do {
            let result = try await body(client)
            await client.close()
            grpc.beginGracefulShutdown()
            try await group.waitForAll()
            return result
        } catch {
            await client.close()
            grpc.beginGracefulShutdown()
            try await group.waitForAll()
            throw error
        }
    }
}

/// A fresh database in a temporary directory, a server over it, and a client.
func withFreshHerald<R: Sendable>(
    preparation: PreparationEngine.Configuration = HeraldServer.Configuration.defaultPreparation,
    _ body: (GRPCClient, TemporaryDirectory) async throws -> R
) async throws -> R {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    return try await withHerald(databasePath: directory.databasePath, preparation: preparation) { client in
        try await body(client, directory)
    }
}

/// Expects `body` to fail with an `RPCError` of `code` whose message contains every
/// string of `containing`; returns the error.
@discardableResult
func expectRPCError(
    _ code: RPCError.Code, containing fragments: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async -> RPCError? {
    do {
        try await body()
        Issue.record("expected \(code), got success", sourceLocation: sourceLocation)
        return nil
    } catch let error as RPCError {
        #expect(error.code == code, "message: \(error.message)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.message.contains(fragment), "'\(error.message)' lacks '\(fragment)'", sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("expected an RPCError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// A profile message for requests.
func profileMessage(
    _ id: String, email: String = "", firstName: String = "", tags: [String] = [], attributes: [String: String] = [:],
    subscription: Herald_V1_Subscription = .unspecified
) -> Herald_V1_Profile {
    var profile = Herald_V1_Profile()
    profile.id = id
    profile.email = email.isEmpty ? "\(id)@example.com" : email
    profile.firstName = firstName
    profile.tags = tags
    profile.attributes = attributes
    profile.subscription = subscription
    return profile
}

extension GRPCClient {
    func upsert(_ profiles: [Herald_V1_Profile], requestID: String = "") async throws -> Herald_V1_UpsertProfilesResponse {
        var request = Herald_V1_UpsertProfilesRequest()
        request.profiles = profiles
        request.requestId = requestID
        return try await call(Herald_V1_ProfileService.upsertProfiles, request)
    }

    func count(_ filter: String) async throws -> Int64 {
        var request = Herald_V1_CountAudienceRequest()
        request.filter = filter
        return try await call(Herald_V1_ProfileService.countAudience, request).count
    }

    func listProfiles(filter: String = "", pageSize: Int32 = 0, pageToken: String = "") async throws -> Herald_V1_ListProfilesResponse {
        var request = Herald_V1_ListProfilesRequest()
        request.filter = filter
        request.pageSize = pageSize
        request.pageToken = pageToken
        return try await call(Herald_V1_ProfileService.listProfiles, request)
    }

    func getProfile(_ id: String) async throws -> Herald_V1_Profile {
        var request = Herald_V1_GetProfileRequest()
        request.profileId = id
        return try await call(Herald_V1_ProfileService.getProfile, request).profile ?? Herald_V1_Profile()
    }

    func createDelivery(_ delivery: Herald_V1_Delivery, requestID: String = "") async throws -> Herald_V1_Delivery {
        var request = Herald_V1_CreateDeliveryRequest()
        request.delivery = delivery
        request.requestId = requestID
        return try await call(Herald_V1_DeliveryService.createDelivery, request).delivery ?? Herald_V1_Delivery()
    }

    func getDelivery(_ id: String) async throws -> Herald_V1_Delivery {
        var request = Herald_V1_GetDeliveryRequest()
        request.deliveryId = id
        return try await call(Herald_V1_DeliveryService.getDelivery, request).delivery ?? Herald_V1_Delivery()
    }

    func updateDelivery(_ delivery: Herald_V1_Delivery, paths: [String]?, requestID: String = "") async throws -> Herald_V1_Delivery {
        var request = Herald_V1_UpdateDeliveryRequest()
        request.delivery = delivery
        if let paths {
            var mask = Google_Protobuf_FieldMask()
            mask.paths = paths
            request.updateMask = mask
        }
        request.requestId = requestID
        return try await call(Herald_V1_DeliveryService.updateDelivery, request).delivery ?? Herald_V1_Delivery()
    }

    func deleteDelivery(_ id: String, requestID: String = "") async throws {
        var request = Herald_V1_DeleteDeliveryRequest()
        request.deliveryId = id
        request.requestId = requestID
        _ = try await call(Herald_V1_DeliveryService.deleteDelivery, request)
    }

    func listDeliveries(states: [Herald_V1_DeliveryState] = [], pageSize: Int32 = 0, pageToken: String = "") async throws
        -> Herald_V1_ListDeliveriesResponse
    {
        var request = Herald_V1_ListDeliveriesRequest()
        request.states = states
        request.pageSize = pageSize
        request.pageToken = pageToken
        return try await call(Herald_V1_DeliveryService.listDeliveries, request)
    }

    /// Prepares a delivery and waits (at most 30 s) until its preparation ended, expecting READY.
    func prepareUntilReady(_ id: String) async throws {
        var request = Herald_V1_PrepareDeliveryRequest()
        request.deliveryId = id
        _ = try await call(Herald_V1_DeliveryService.prepareDelivery, request)
        for _ in 0..<600 {
            let state = try await getDelivery(id).state
            if state != .preparing {
                #expect(state == .ready)
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the preparation did not end")
    }
}

/// A valid delivery message for CreateDelivery.
func deliveryMessage(name: String = "Spring news", filter: String = "", sender: String = "news@example.com") -> Herald_V1_Delivery {
    var delivery = Herald_V1_Delivery()
    delivery.name = name
    var from = Herald_V1_EmailAddress()
    from.name = "Herald News"
    from.address = sender
    var content = Herald_V1_DeliveryContent()
    content.subject = "Hello {{first_name}}"
    content.sender = from
    content.htmlBody = "<p>Hi {{first_name}}</p><a href=\"{{unsubscribe_url}}\">unsubscribe</a>"
    delivery.content = content
    var audience = Herald_V1_Audience()
    audience.filter = filter
    delivery.audience = audience
    return delivery
}

/// Sets a delivery's state directly in the database file (a second connection beside
/// the running server), to reach states whose RPCs come in later issues.
func forceState(_ state: Delivery.State, of id: String, databasePath: String) async throws {
    let store = try SQLiteStore(path: databasePath, logger: quietLogger)
    defer { try? store.close() }
    _ = try await store.updateDelivery(id: id) { $0.state = state }
}
