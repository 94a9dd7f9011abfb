import Foundation
import GRPCInterop
import HeraldCore
import HeraldProtos
import HeraldRPC
import HeraldServer
import HeraldStore
import Testing

/// PrepareDelivery, StopPreparation, WatchPreparation, ListDeliveryLogs and
/// ListExclusions over loopback gRPC on a real SQLite file.
///
/// Serialized: every server of the test process shares one cooperative pool, and a
/// large preparation in one test would delay the streams another test times.
@Suite("Preparation service", .serialized)
struct PreparationServiceTests {
    /// Small batches rendered by one thread: the engine renders off the cooperative pool
    /// (see `responsiveDuringPreparation`), but in a debug build its default batches take
    /// seconds of CPU on 2 cores, which would still slow the streams these tests time.
    static var responsive: PreparationEngine.Configuration {
        var configuration = HeraldServer.Configuration.defaultPreparation
        configuration.batchSize = 500
        configuration.renderConcurrency = 1
        return configuration
    }

    // MARK: The crafted population

    @Test("a crafted population ends READY with the exact KPIs, exclusions and logs")
    func craftedPopulation() async throws {
        try await withFreshHerald { client, directory in
            let id = try await CraftedAudience.load(into: client, databasePath: directory.databasePath)

            let started = try await client.prepare(id)
            #expect(started.state == .preparing)
            #expect(started.preparation?.state == .running)
            let again = try await client.prepare(id)
            #expect(again.state == .preparing || again.state == .ready)
            if again.state == .preparing { #expect(again.preparation?.startTime == started.preparation?.startTime) }

            let messages = try await client.watchPreparation(id)
            let last = try #require(messages.last?.progress)
            for message in messages { expectInvariant(message.progress) }
            #expect(last.state == .succeeded)
            #expect(messages.dropLast().allSatisfy { $0.progress.state == .running })
            #expect(last.kpis?.targeted == CraftedAudience.targeted)
            #expect(last.kpis?.toDeliver == CraftedAudience.toDeliver)
            #expect(counts(last.kpis) == CraftedAudience.expected)

            // The delivery's summary.
            let delivery = try await client.getDelivery(id)
            #expect(delivery.state == .ready)
            let summary = try #require(delivery.preparation)
            #expect(summary.state == .succeeded)
            #expect(summary.phase == .finalizing)
            #expect(summary.kpis?.targeted == CraftedAudience.targeted)
            #expect(summary.kpis?.toDeliver == CraftedAudience.toDeliver)
            #expect(summary.kpis?.toExclude == CraftedAudience.targeted - CraftedAudience.toDeliver)
            #expect(summary.kpis.map(counts) == CraftedAudience.expected)
            #expect(summary.errorCount == 0)
            #expect(summary.warningCount == 1)
            #expect(summary.snapshotHash.count == 64)
            #expect(summary.startTime != nil && summary.endTime != nil)
            #expect(summary.startTime == started.preparation?.startTime)

            // Exclusions per cause, two per page.
            for (cause, count) in CraftedAudience.expected {
                let all = try await client.allExclusions(id, causes: [cause], pageSize: 2)
                #expect(all.count == count, "\(cause)")
                #expect(all.allSatisfy { $0.cause == cause })
                #expect(all.map(\.profileId) == all.map(\.profileId).sorted())
            }
            let everything = try await client.allExclusions(id, causes: [], pageSize: 7)
            #expect(everything.count == Int(CraftedAudience.targeted - CraftedAudience.toDeliver))
            let two = try await client.allExclusions(id, causes: [.duplicate, .quarantined], pageSize: 100)
            #expect(two.map(\.profileId) == ["d002", "d003", "d004", "q001", "q002"])
            #expect(try await client.allExclusions(id, causes: [.duplicate], pageSize: 10).map(\.address)
                == ["dup@example.com", "DUP@example.com", "dup@example.com"])
            let limited = try await client.allExclusions(id, causes: [.targetLimited], pageSize: 10)
            #expect(limited.map(\.profileId) == ["c038", "c039", "c040", "d001", "v001"])
            #expect(limited.allSatisfy { $0.ruleName == "cap" })
            #expect(try await client.allExclusions(id, causes: [.excludedByFilter], pageSize: 10).allSatisfy {
                $0.ruleName == "no-competitors"
            })
            #expect(try await client.allExclusions(id, causes: [.personalizationError], pageSize: 10).map(\.profileId) == ["a001"])

            // Logs: as streamed, oldest first, by severity, one per page.
            let streamed = messages.flatMap(\.progress.newLogEntries)
            let logs = try await client.allLogs(id, minimum: .unspecified, pageSize: 1)
            #expect(logs == streamed)
            #expect(logs.last?.code == PreparationLogCode.summary)
            #expect(logs.contains { $0.severity == .info })
            let warnings = try await client.allLogs(id, minimum: .warning, pageSize: 1)
            #expect(warnings.map(\.code) == [PreparationLogCode.personalizationError])
            #expect(warnings.first?.profileId == "a001")
            #expect(try await client.allLogs(id, minimum: .error, pageSize: 10).isEmpty)

            // A watcher of a READY delivery gets its outcome, then the stream ends.
            let after = try await client.watchPreparation(id)
            #expect(after.count == 1)
            #expect(after.first?.progress.state == .succeeded)
            #expect(after.first?.progress.kpis == last.kpis)
        }
    }

    // MARK: Watchers

    @Test("two watchers from the start, a late one and one that leaves get consistent streams")
    func concurrentWatchers() async throws {
        try await withFreshHerald(preparation: Self.responsive) { client, _ in
            try await client.upsertPopulation(20_000)
            let id = try await client.createDelivery(deliveryMessage(name: "Watched", filter: #"tags HAS "news""#)).id
            _ = try await client.prepare(id)
            async let first = client.watchPreparation(id)
            async let second = client.watchPreparation(id)
            async let leaving: Int = client.stream(Herald_V1_DeliveryService.watchPreparation, watchRequest(id)) { stream in
                var count = 0
                for try await _ in stream {
                    count += 1
                    if count == 2 { break }
                }
                return count
            }
            async let late: [TimedProgress] = {
                try await Task.sleep(for: .milliseconds(300))
                return try await client.watchPreparation(id)
            }()
            let streams = try await [first, second, late]
            #expect(try await leaving == 2)

            let logs = try await client.allLogs(id, minimum: .unspecified, pageSize: 1_000)
            for messages in streams {
                for message in messages { expectInvariant(message.progress) }
                let final = try #require(messages.last?.progress)
                #expect(final.state == .succeeded)
                #expect(final.kpis?.targeted == 20_000)
                #expect(messages.flatMap(\.progress.newLogEntries) == logs)
                #expect(messages.dropLast().allSatisfy { $0.progress.state == .running })
                // Progress only moves forward.
                let targeted = messages.map { $0.progress.kpis?.targeted ?? 0 }
                #expect(targeted == targeted.sorted())
                // At least one message per 250 ms (with slack for a loaded machine).
                for (a, b) in zip(messages, messages.dropFirst()) {
                    #expect(b.received - a.received < .milliseconds(1_000), "gap of \(b.received - a.received)")
                }
            }
            #expect(streams.map { $0.last?.progress.kpis } == Array(repeating: streams[0].last?.progress.kpis, count: 3))
            #expect(try await client.getDelivery(id).state == .ready)
        }
    }

    @Test("a watch gets a message at least every 250 ms (with slack) and every log entry exactly once")
    func heartbeat() async throws {
        try await withFreshHerald(preparation: Self.responsive) { client, _ in
            try await client.upsertPopulation(8_000)
            var message = deliveryMessage(name: "Heavy", filter: "")
            message.content?.htmlBody = String(repeating: "<p>{{first_name}} {{last_name}} {{email}}</p>\n", count: 40)
                + "<a href=\"{{unsubscribe_url}}\">u</a>"
            let id = try await client.createDelivery(message).id
            _ = try await client.prepare(id)
            let messages = try await client.watchPreparation(id)
            #expect(messages.last?.progress.state == .succeeded)
            // Heartbeats (the same snapshot again) carry no log entries: each entry comes once.
            // Whether any is needed depends on how fast the engine moves, so none is required.
            let logs = try await client.allLogs(id, minimum: .unspecified, pageSize: 1_000)
            #expect(messages.flatMap(\.progress.newLogEntries) == logs)
            let gaps = zip(messages, messages.dropFirst()).map { $1.received - $0.received }
            // 250 ms, with slack for a loaded 2-core machine running the other suites.
            #expect(gaps.allSatisfy { $0 < .milliseconds(750) }, "gaps: \(gaps)")
        }
    }

    // MARK: Stop

    @Test("StopPreparation mid-way on 50,000 profiles: DRAFT, only the stop entry kept, then re-prepare works")
    func stopMidway() async throws {
        try await withFreshHerald(preparation: Self.responsive) { client, _ in
            try await client.upsertPopulation(50_000)
            let id = try await client.createDelivery(deliveryMessage(name: "Big", filter: "")).id
            _ = try await client.prepare(id)
            let clock = ContinuousClock()
            let (stopped, latency, streamed): (Herald_V1_Delivery, Duration, [Herald_V1_PreparationProgress]) =
                try await client.stream(Herald_V1_DeliveryService.watchPreparation, watchRequest(id)) { stream in
                    var seen: [Herald_V1_PreparationProgress] = []
                    var result: (Herald_V1_Delivery, Duration)?
                    for try await message in stream {
                        seen.append(message.progress ?? .init())
                        if result == nil, message.progress?.state == .running {
                            let start = clock.now
                            let delivery = try await client.stop(id)
                            result = (delivery, clock.now - start)
                        }
                    }
                    let (delivery, latency) = try #require(result)
                    return (delivery, latency, seen)
                }
            #expect(stopped.state == .draft)
            #expect(stopped.preparation?.state == .stopped)
            #expect(latency < .seconds(1), "stop took \(latency)")
            #expect(streamed.last?.state == .stopped)
            for progress in streamed { expectInvariant(progress) }

            let logs = try await client.allLogs(id, minimum: .unspecified, pageSize: 10)
            #expect(logs.map(\.code) == [PreparationLogCode.stopped])
            #expect(logs.first?.severity == .info)
            #expect(try await client.allExclusions(id, causes: [], pageSize: 10).isEmpty)
            #expect(try await client.getDelivery(id).state == .draft)
            await expectRPCError(.failedPrecondition) { _ = try await client.stop(id) }

            // Prepare again: runs to the end.
            #expect(try await client.prepare(id).state == .preparing)
            let messages = try await client.watchPreparation(id)
            for message in messages { expectInvariant(message.progress) }
            #expect(messages.last?.progress.state == .succeeded)
            #expect(messages.last?.progress.kpis?.targeted == 50_000)
            #expect(messages.last?.progress.kpis?.toDeliver == 50_000)
            #expect(try await client.getDelivery(id).state == .ready)
            #expect(try await client.allLogs(id, minimum: .unspecified, pageSize: 100).first?.code != PreparationLogCode.stopped)
        }
    }

    @Test("other RPCs answer while a large preparation runs with the default configuration")
    func responsiveDuringPreparation() async throws {
        // The default engine: batches of 5,000 rendered by 2 threads (one per core here).
        try await withFreshHerald { client, _ in
            try await client.upsertPopulation(100_000)
            let id = try await client.createDelivery(deliveryMessage(name: "Big", filter: "")).id
            let other = try await client.createDelivery(deliveryMessage(name: "Other", filter: "")).id
            #expect(try await client.prepare(id).state == .preparing)
            // GetDelivery of another delivery, then of the one preparing: each answer that
            // shows it still PREPARING came before the preparation ended.
            var answeredWhilePreparing = 0
            for _ in 0..<10_000 {
                #expect(try await client.getDelivery(other).state == .draft)
                guard try await client.getDelivery(id).state == .preparing else { break }
                answeredWhilePreparing += 1
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(answeredWhilePreparing >= 3, "answered \(answeredWhilePreparing) times while preparing")
            let messages = try await client.watchPreparation(id)
            #expect(messages.last?.progress.state == .succeeded)
            #expect(messages.last?.progress.kpis?.targeted == 100_000)
        }
    }

    // MARK: Critical errors

    @Test(
        "a critical template error fails the preparation with the error in the logs",
        arguments: [
            ("<p>Hi {{#first_name}}</p> <a href=\"{{unsubscribe_url}}\">u</a>", PreparationLogCode.templateSyntaxError),
            ("<p>Hi {{shoe_size}}</p> <a href=\"{{unsubscribe_url}}\">u</a>", PreparationLogCode.unknownField),
        ]
    )
    func criticalErrors(html: String, code: String) async throws {
        try await withFreshHerald { client, _ in
            _ = try await client.upsert((1...5).map { profileMessage("p\($0)", firstName: "P\($0)") })
            var message = deliveryMessage(name: "Broken")
            message.content?.htmlBody = html
            let id = try await client.createDelivery(message).id
            _ = try await client.prepare(id)
            let messages = try await client.watchPreparation(id)
            #expect(messages.last?.progress.state == .failed)
            for message in messages { expectInvariant(message.progress) }
            let delivery = try await client.getDelivery(id)
            #expect(delivery.state == .preparationFailed)
            #expect(delivery.preparation?.state == .failed)
            #expect((delivery.preparation?.errorCount ?? 0) >= 1)
            let errors = try await client.allLogs(id, minimum: .error, pageSize: 10)
            #expect(errors.contains { $0.code == code }, "\(errors.map(\.code))")
            #expect(errors.allSatisfy { $0.severity == .error })

            // Changing it returns it to DRAFT and discards the failed preparation.
            var fix = Herald_V1_Delivery()
            fix.id = id
            var content = Herald_V1_DeliveryContent()
            content.htmlBody = "<p>Hi {{first_name}}</p> <a href=\"{{unsubscribe_url}}\">u</a>"
            fix.content = content
            let updated = try await client.updateDelivery(fix, paths: ["content.html_body"])
            #expect(updated.state == .draft)
            #expect(try await client.allLogs(id, minimum: .unspecified, pageSize: 10).isEmpty)
            _ = try await client.prepare(id)
            #expect(try await client.watchPreparation(id).last?.progress.state == .succeeded)
            #expect(try await client.getDelivery(id).state == .ready)
        }
    }

    // MARK: Staleness

    @Test("UpdateDelivery after READY returns it to DRAFT and discards the stale preparation")
    func staleness() async throws {
        try await withFreshHerald { client, directory in
            let id = try await CraftedAudience.load(into: client, databasePath: directory.databasePath)
            _ = try await client.prepare(id)
            _ = try await client.watchPreparation(id)
            let ready = try await client.getDelivery(id)
            #expect(ready.state == .ready)
            #expect(try await client.allExclusions(id, causes: [], pageSize: 100).count == 29)

            var change = Herald_V1_Delivery()
            change.id = id
            var content = Herald_V1_DeliveryContent()
            content.subject = "New subject {{first_name}}"
            change.content = content
            let updated = try await client.updateDelivery(change, paths: ["content.subject"])
            #expect(updated.state == .draft)
            #expect(updated.preparation?.snapshotHash == ready.preparation?.snapshotHash)
            #expect(try await client.allExclusions(id, causes: [], pageSize: 100).isEmpty)
            #expect(try await client.allLogs(id, minimum: .unspecified, pageSize: 100).isEmpty)
            let store = try SQLiteStore(path: directory.databasePath, logger: quietLogger)
            defer { try? store.close() }
            #expect(try await store.listMessages(deliveryID: id, statuses: nil, after: nil, limit: 10).items.isEmpty)

            // A watch now does not report the stale run as current: one message, no
            // preparation (UNSPECIFIED, zero KPIs, no log entries), then the end.
            let stale = try await client.watchPreparation(id)
            #expect(stale.count == 1)
            #expect(stale.first?.progress.state == .unspecified)
            #expect(stale.first?.progress.kpis?.targeted == 0)
            #expect(stale.first?.progress.kpis?.toDeliver == 0)
            #expect(stale.first?.progress.newLogEntries.isEmpty == true)

            // Prepared again: a new snapshot.
            _ = try await client.prepare(id)
            await expectRPCError(.failedPrecondition) { _ = try await client.updateDelivery(change, paths: ["content.subject"]) }
            _ = try await client.watchPreparation(id)
            let again = try await client.getDelivery(id)
            #expect(again.state == .ready)
            #expect(again.preparation?.snapshotHash != ready.preparation?.snapshotHash)
            #expect(try await client.allExclusions(id, causes: [], pageSize: 100).count == 29)
        }
    }

    // MARK: Refusals

    @Test("refusals: unknown delivery, wrong state, bad filters and tokens")
    func refusals() async throws {
        try await withFreshHerald { client, _ in
            await expectRPCError(.notFound, containing: ["nope"]) { _ = try await client.prepare("nope") }
            await expectRPCError(.notFound) { _ = try await client.stop("nope") }
            await expectRPCError(.notFound) { _ = try await client.watchPreparation("nope") }
            await expectRPCError(.notFound) { _ = try await client.allLogs("nope", minimum: .unspecified, pageSize: 1) }
            await expectRPCError(.notFound) { _ = try await client.allExclusions("nope", causes: [], pageSize: 1) }
            await expectRPCError(.invalidArgument, containing: ["delivery_id"]) { _ = try await client.prepare("") }

            let id = try await client.createDelivery(deliveryMessage()).id
            await expectRPCError(.failedPrecondition) { _ = try await client.stop(id) }
            let never = try await client.watchPreparation(id)
            #expect(never.count == 1)
            #expect(never.first?.progress.state == .unspecified)
            #expect(never.first?.progress.deliveryId == id)

            var logs = Herald_V1_ListDeliveryLogsRequest()
            logs.deliveryId = id
            logs.minSeverity = .unrecognized(9)
            await expectRPCError(.invalidArgument, containing: ["min_severity"]) {
                _ = try await client.call(Herald_V1_DeliveryService.listDeliveryLogs, logs)
            }
            logs.minSeverity = .unspecified
            logs.pageToken = "garbage"
            await expectRPCError(.invalidArgument, containing: ["page_token"]) {
                _ = try await client.call(Herald_V1_DeliveryService.listDeliveryLogs, logs)
            }
            var exclusions = Herald_V1_ListExclusionsRequest()
            exclusions.deliveryId = id
            exclusions.causes = [.unrecognized(13)]
            await expectRPCError(.invalidArgument, containing: ["causes[0]"]) {
                _ = try await client.call(Herald_V1_DeliveryService.listExclusions, exclusions)
            }
            exclusions.causes = []
            exclusions.pageSize = -1
            await expectRPCError(.invalidArgument, containing: ["page_size"]) {
                _ = try await client.call(Herald_V1_DeliveryService.listExclusions, exclusions)
            }
        }
    }

    @Test("PrepareDelivery with a request_id answers a retry with the first result")
    func idempotentPrepare() async throws {
        try await withFreshHerald { client, _ in
            _ = try await client.upsert([profileMessage("p1")])
            let id = try await client.createDelivery(deliveryMessage()).id
            let first = try await client.prepare(id, requestID: "prep-1")
            _ = try await client.watchPreparation(id)
            let retry = try await client.prepare(id, requestID: "prep-1")
            #expect(retry == first)
            #expect(try await client.getDelivery(id).state == .ready)
        }
    }
}

// MARK: - Helpers

/// One WatchPreparation message and when it arrived.
struct TimedProgress: Sendable {
    var progress: Herald_V1_PreparationProgress
    var received: ContinuousClock.Instant
}

/// `targeted = to_deliver + to_exclude`, and the per-cause counts add up to `to_exclude`.
func expectInvariant(_ progress: Herald_V1_PreparationProgress, sourceLocation: SourceLocation = #_sourceLocation) {
    let kpis = progress.kpis ?? .init()
    #expect(kpis.targeted == kpis.toDeliver + kpis.toExclude, "\(kpis)", sourceLocation: sourceLocation)
    #expect(kpis.exclusionCounts.reduce(0) { $0 + $1.count } == kpis.toExclude, sourceLocation: sourceLocation)
    #expect(kpis.toDeliver >= 0, sourceLocation: sourceLocation)
}

/// The per-cause counts of KPIs.
func counts(_ kpis: Herald_V1_PreparationKpis?) -> [Herald_V1_ExclusionCause: Int64] {
    Dictionary(uniqueKeysWithValues: (kpis?.exclusionCounts ?? []).map { ($0.cause, $0.count) })
}

func watchRequest(_ id: String) -> Herald_V1_WatchPreparationRequest {
    var request = Herald_V1_WatchPreparationRequest()
    request.deliveryId = id
    return request
}

extension GRPCClient {
    func prepare(_ id: String, requestID: String = "") async throws -> Herald_V1_Delivery {
        var request = Herald_V1_PrepareDeliveryRequest()
        request.deliveryId = id
        request.requestId = requestID
        return try await call(Herald_V1_DeliveryService.prepareDelivery, request).delivery ?? .init()
    }

    func stop(_ id: String) async throws -> Herald_V1_Delivery {
        var request = Herald_V1_StopPreparationRequest()
        request.deliveryId = id
        return try await call(Herald_V1_DeliveryService.stopPreparation, request).delivery ?? .init()
    }

    /// Every message of a WatchPreparation stream, until it ends (at most 2 minutes).
    func watchPreparation(_ id: String) async throws -> [TimedProgress] {
        try await stream(
            Herald_V1_DeliveryService.watchPreparation, watchRequest(id), options: .init(timeout: .seconds(120))
        ) { stream in
            var messages: [TimedProgress] = []
            for try await message in stream {
                messages.append(TimedProgress(progress: message.progress ?? .init(), received: .now))
            }
            return messages
        }
    }

    /// Every log entry of a delivery, page by page.
    func allLogs(_ id: String, minimum: Herald_V1_LogSeverity, pageSize: Int32) async throws -> [Herald_V1_DeliveryLogEntry] {
        var request = Herald_V1_ListDeliveryLogsRequest()
        request.deliveryId = id
        request.minSeverity = minimum
        request.pageSize = pageSize
        var entries: [Herald_V1_DeliveryLogEntry] = []
        repeat {
            let page = try await call(Herald_V1_DeliveryService.listDeliveryLogs, request)
            #expect(page.logEntries.count <= Int(pageSize))
            entries += page.logEntries
            request.pageToken = page.nextPageToken
        } while !request.pageToken.isEmpty
        return entries
    }

    /// Every exclusion of a delivery with one of `causes`, page by page.
    func allExclusions(_ id: String, causes: [Herald_V1_ExclusionCause], pageSize: Int32) async throws -> [Herald_V1_ExclusionEntry] {
        var request = Herald_V1_ListExclusionsRequest()
        request.deliveryId = id
        request.causes = causes
        request.pageSize = pageSize
        var entries: [Herald_V1_ExclusionEntry] = []
        repeat {
            let page = try await call(Herald_V1_DeliveryService.listExclusions, request)
            #expect(page.exclusions.count <= Int(pageSize))
            entries += page.exclusions
            request.pageToken = page.nextPageToken
        } while !request.pageToken.isEmpty
        return entries
    }

    /// `count` plain profiles `m00000001`…, tagged `news`, in batches of 10,000.
    func upsertPopulation(_ count: Int) async throws {
        for base in stride(from: 0, to: count, by: 10_000) {
            let batch = (base..<min(base + 10_000, count)).map { i in
                profileMessage(
                    "m" + String(format: "%08d", i), email: "m\(i)@mail\(i % 97).example.com", firstName: "First\(i)",
                    tags: ["news"]
                )
            }
            let response = try await upsert(batch)
            #expect(response.errors.isEmpty)
        }
    }
}
