public import GRPCInterop
public import HeraldCore
import HeraldProtos
import HeraldRPC
public import Logging

/// `herald.v1.ProfileService`: stores and queries recipients.
///
/// Handlers map requests to the domain, call the ``ProfileStore`` and map the results
/// back; domain errors become statuses through `HeraldError.rpcError`.
public struct ProfileService: Sendable {
    /// The most profiles one `UpsertProfiles` call may carry.
    public static let maxUpsertBatch = 10_000
    /// The listing name inside ListProfiles page tokens.
    static let pageTokenKind = "profiles"

    let profiles: any ProfileStore
    let idempotency: Idempotency
    let now: @Sendable () -> Timestamp
    let logger: Logger

    /// Creates the service over its stores; `now` is the clock (the system's by default).
    public init(
        profiles: any ProfileStore, idempotency: any IdempotencyStore, logger: Logger,
        now: (@Sendable () -> Timestamp)? = nil
    ) {
        let now = now ?? SystemClock.now
        self.profiles = profiles
        self.idempotency = Idempotency(store: idempotency, now: now)
        self.now = now
        self.logger = logger
    }

    /// Registers every RPC of the service.
    public func register(into router: inout RPCRouter) {
        router.register(Herald_V1_ProfileService.upsertProfiles, logger: logger) { request, _ in
            try await upsertProfiles(request)
        }
        router.register(Herald_V1_ProfileService.getProfile, logger: logger) { request, _ in
            try await getProfile(request)
        }
        router.register(Herald_V1_ProfileService.listProfiles, logger: logger) { request, _ in
            try await listProfiles(request)
        }
        router.register(Herald_V1_ProfileService.countAudience, logger: logger) { request, _ in
            try await countAudience(request)
        }
        router.register(Herald_V1_ProfileService.deleteProfile, logger: logger) { request, _ in
            try await deleteProfile(request)
        }
        router.register(Herald_V1_ProfileService.setSubscription, logger: logger) { request, _ in
            try await setSubscription(request)
        }
    }

    // MARK: Handlers

    func upsertProfiles(_ request: Herald_V1_UpsertProfilesRequest) async throws -> Herald_V1_UpsertProfilesResponse {
        let count = request.profiles.count
        guard count <= Self.maxUpsertBatch else {
            throw HeraldError.invalidArgument("a batch holds at most \(Self.maxUpsertBatch) profiles (got \(count))")
        }
        return try await idempotency.run(requestID: request.requestId, method: Herald_V1_ProfileService.upsertProfiles.path) {
            var rows: [Profile] = []
            rows.reserveCapacity(count)
            // Indices in the request of the rows passed to the store, when some were refused here.
            var storeIndices: [Int]? = nil
            var errors: [Herald_V1_ProfileRowError] = []
            for (index, message) in request.profiles.enumerated() {
                do throws(HeraldError) {
                    rows.append(try Profile(proto: message))
                    storeIndices?.append(index)
                } catch {
                    if storeIndices == nil { storeIndices = Array(0..<index) }
                    errors.append(Self.rowError(index: index, id: message.id, error))
                }
            }
            let result = try await profiles.upsertProfiles(rows, at: now())
            for error in result.errors {
                errors.append(Self.rowError(index: storeIndices?[error.index] ?? error.index, id: error.id, error.error))
            }
            if storeIndices != nil { errors.sort { $0.index < $1.index } }
            var response = Herald_V1_UpsertProfilesResponse()
            response.insertedCount = Int64(result.created)
            response.updatedCount = Int64(result.updated)
            response.errors = errors
            return response
        }
    }

    func getProfile(_ request: Herald_V1_GetProfileRequest) async throws -> Herald_V1_GetProfileResponse {
        let id = try Self.requiredID(request.profileId)
        guard let profile = try await profiles.profile(id: id) else {
            throw HeraldError.notFound("profile '\(id)' not found")
        }
        var response = Herald_V1_GetProfileResponse()
        response.profile = profile.proto
        return response
    }

    func listProfiles(_ request: Herald_V1_ListProfilesRequest) async throws -> Herald_V1_ListProfilesResponse {
        let limit = try PageToken.pageSize(request.pageSize)
        let after = try PageToken.decode(request.pageToken, kind: Self.pageTokenKind)
        let filter = try Self.filter(request.filter)
        let page = try await profiles.listProfiles(matching: filter, after: after, limit: limit)
        var response = Herald_V1_ListProfilesResponse()
        response.profiles = page.items.map(\.proto)
        response.nextPageToken = PageToken.encode(page.nextCursor, kind: Self.pageTokenKind)
        return response
    }

    func countAudience(_ request: Herald_V1_CountAudienceRequest) async throws -> Herald_V1_CountAudienceResponse {
        let filter = try Self.filter(request.filter)
        var response = Herald_V1_CountAudienceResponse()
        response.count = Int64(try await profiles.countProfiles(matching: filter))
        return response
    }

    func deleteProfile(_ request: Herald_V1_DeleteProfileRequest) async throws -> Herald_V1_DeleteProfileResponse {
        let id = try Self.requiredID(request.profileId)
        return try await idempotency.run(requestID: request.requestId, method: Herald_V1_ProfileService.deleteProfile.path) {
            guard try await profiles.deleteProfile(id: id) else {
                throw HeraldError.notFound("profile '\(id)' not found")
            }
            return Herald_V1_DeleteProfileResponse()
        }
    }

    func setSubscription(_ request: Herald_V1_SetSubscriptionRequest) async throws -> Herald_V1_SetSubscriptionResponse {
        let id = try Self.requiredID(request.profileId)
        let subscription = try Profile.Subscription(proto: request.subscription, field: "subscription")
        return try await idempotency.run(requestID: request.requestId, method: Herald_V1_ProfileService.setSubscription.path) {
            guard let profile = try await profiles.setSubscription(id: id, to: subscription, at: now()) else {
                throw HeraldError.notFound("profile '\(id)' not found")
            }
            var response = Herald_V1_SetSubscriptionResponse()
            response.profile = profile.proto
            return response
        }
    }

    // MARK: Helpers

    private static func requiredID(_ id: String) throws(HeraldError) -> String {
        guard !id.isEmpty else { throw .invalidArgument("profile_id is required") }
        return id
    }

    /// Parses a request's filter; the message starts with `filter: ` and names the position.
    static func filter(_ text: String) throws(HeraldError) -> AudienceFilter {
        do {
            return try AudienceFilter(parsing: text)
        } catch {
            throw .invalidArgument("filter: \(error.message)", cause: error.cause)
        }
    }

    private static func rowError(index: Int, id: String, _ error: HeraldError) -> Herald_V1_ProfileRowError {
        var row = Herald_V1_ProfileRowError()
        row.index = Int32(index)
        row.profileId = id
        row.message = error.message
        return row
    }
}
