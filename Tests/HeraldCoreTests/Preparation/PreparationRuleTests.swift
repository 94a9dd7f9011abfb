import HeraldCore
import Testing

@Suite("Typology rules and address checks")
struct PreparationRuleTests {
    @Test("address checks: 7, 8, 9, 10, 14 in that order")
    func addressChecks() async throws {
        let f = EngineFixture(batchSize: 3)
        _ = try await f.profiles.upsertProfiles([
            Profile(id: "a", email: ""),
            Profile(id: "b", email: "b@example.com", subscription: .denylisted),
            Profile(id: "c", email: "C@example.com"),
            Profile(id: "d", email: "d@example.com"),
            Profile(id: "e", email: "D@EXAMPLE.com"),
            Profile(id: "f", email: "bad@"),
            Profile(id: "g", email: "bad@"),
            Profile(id: "h", email: "c@example.com", subscription: .unsubscribed),
            Profile(id: "i", email: "ok@example.com"),
        ], at: testNow)
        try await f.store.quarantine(address: "c@example.com", reason: "bounce", at: testNow)
        let (prepared, snapshots) = try await f.prepare(delivery())
        #expect(prepared.state == .ready)
        let counts = prepared.preparation!.exclusionCounts
        #expect(counts == [.addressNotSpecified: 1, .denylisted: 2, .quarantined: 1, .duplicate: 2, .badQualityAddress: 1])
        #expect(try await f.exclusions("d1", .duplicate).map(\.profileID) == ["e", "g"])
        #expect(try await f.exclusions("d1", .badQualityAddress).map(\.profileID) == ["f"])
        #expect(prepared.preparation!.toDeliver == 2)
        for s in snapshots { #expect(s.kpis.targeted == s.kpis.toDeliver + s.kpis.toExclude) }
    }

    @Test("filtering rule excludes matching profiles with the rule's name")
    func filtering() async throws {
        let f = EngineFixture()
        try await f.addProfiles(50) { i in
            Profile(id: pid(i), email: "\(pid(i))@example.com", attributes: ["score": String(i)])
        }
        let (prepared, _) = try await f.prepare(delivery(rules: [.filtering(name: "low", filter: "attributes.score < 20")]))
        #expect(prepared.preparation!.exclusionCounts == [.excludedByFilter: 20])
        #expect(try await f.exclusions("d1").allSatisfy { $0.ruleName == "low" })
    }

    @Test("pressure rule counts SENT messages within the period only")
    func pressure() async throws {
        let f = EngineFixture()
        try await f.addProfiles(10)
        var ledger: [PreparedMessage] = []
        func sent(_ i: Int, daysAgo: Int64, status: PreparedMessage.Status = .sent) {
            ledger.append(PreparedMessage(
                deliveryID: "old", sequence: ledger.count + 1, profileID: pid(i), address: "", trackingID: "",
                status: status, statusTime: testNow.adding(seconds: -daysAgo * 86_400)
            ))
        }
        sent(0, daysAgo: 1); sent(0, daysAgo: 2)  // 2 in 3 days: excluded
        sent(1, daysAgo: 1); sent(1, daysAgo: 4)  // 1 in 3 days: kept
        sent(2, daysAgo: 1); sent(2, daysAgo: 1, status: .failed)  // 1 SENT: kept
        sent(3, daysAgo: 0); sent(3, daysAgo: 1); sent(3, daysAgo: 2)  // excluded
        try await f.store.appendMessages(ledger)
        let (prepared, _) = try await f.prepare(delivery(rules: [.pressure(name: "p", maxMessages: 2, periodDays: 3)]))
        #expect(prepared.preparation!.exclusionCounts == [.excludedAfterArbitration: 2])
        #expect(try await f.exclusions("d1").map(\.profileID) == [pid(0), pid(3)])
    }

    @Test("capacity rule keeps the first N by id")
    func capacity() async throws {
        let f = EngineFixture()
        try await f.addProfiles(25)
        let (prepared, _) = try await f.prepare(delivery(rules: [.capacity(name: "cap", maxMessages: 10)]))
        #expect(prepared.preparation!.exclusionCounts == [.targetLimited: 15])
        #expect(try await f.exclusions("d1").map(\.profileID) == (10..<25).map(pid))
    }

    @Test("control group: exact size, reproducible from its seed", arguments: [TypologyRule.ControlGroupSize.percent(10), .count(7)])
    func controlGroup(size: TypologyRule.ControlGroupSize) async throws {
        let f = EngineFixture()
        try await f.addProfiles(100)
        let expected = if case .count(let n) = size { n } else { 10 }
        var held: [[String]] = []
        for (id, seed) in [("a", UInt64(1)), ("b", 1), ("c", 2)] {
            let (prepared, _) = try await f.prepare(delivery(id, rules: [.controlGroup(name: "cg", size: size, seed: seed)]))
            #expect(prepared.preparation!.exclusionCounts == [.controlGroup: expected])
            held.append(try await f.exclusions(id).map(\.profileID))
        }
        #expect(held[0] == held[1])
        #expect(held[0] != held[2])
    }

    @Test("rules apply in order: a capacity before a filter counts the filtered profiles")
    func order() async throws {
        let f = EngineFixture()
        try await f.addProfiles(20)
        let filter = TypologyRule.filtering(name: "even", filter: #"id ENDS WITH "0" OR id ENDS WITH "2""#)
        let (a, _) = try await f.prepare(delivery("a", rules: [.capacity(name: "cap", maxMessages: 10), filter]))
        #expect(a.preparation!.exclusionCounts == [.targetLimited: 10, .excludedByFilter: 2])
        let (b, _) = try await f.prepare(delivery("b", rules: [filter, .capacity(name: "cap", maxMessages: 10)]))
        #expect(b.preparation!.exclusionCounts == [.excludedByFilter: 4, .targetLimited: 6])
    }

    @Test("personalization errors exclude the profile (21) and are logged")
    func personalizationError() async throws {
        let f = EngineFixture()
        try await f.addProfiles(12) { i in Profile(id: pid(i), email: "\(pid(i))@example.com", firstName: i % 4 == 0 ? "FAIL" : "ok") }
        let (prepared, _) = try await f.prepare(delivery())
        #expect(prepared.state == .ready)
        #expect(prepared.preparation!.exclusionCounts == [.personalizationError: 3])
        #expect(prepared.preparation!.warningCount == 3)
        let messages = try await f.store.listMessages(deliveryID: "d1", statuses: nil, after: nil, limit: 100).items
        #expect(messages.count == 9)
        #expect(messages.allSatisfy { $0.status == .pending && $0.trackingID == "d1.\($0.sequence)" })
    }

    @Test("an empty target is a WARNING, the delivery is still READY")
    func emptyTarget() async throws {
        let f = EngineFixture()
        try await f.addProfiles(3)
        let (prepared, _) = try await f.prepare(delivery(filter: #"id = "nobody""#))
        #expect(prepared.state == .ready)
        let logs = try await f.store.listLogEntries(deliveryID: "d1", minimumSeverity: .warning, after: nil, limit: 10).items
        #expect(logs.map(\.code) == [PreparationLogCode.emptyTarget])
    }

    @Test("content errors fail the preparation and store no message")
    func contentErrors() async throws {
        let f = EngineFixture()
        try await f.addProfiles(5)
        var d = delivery(subject: " ", html: "{{#broken}}")
        d.content.sender.address = "not an address"
        let (prepared, _) = try await f.prepare(d)
        #expect(prepared.state == .preparationFailed)
        #expect(prepared.preparation!.state == .failed)
        let errors = try await f.store.listLogEntries(deliveryID: "d1", minimumSeverity: .error, after: nil, limit: 10).items
        #expect(Set(errors.map(\.code)) == [PreparationLogCode.emptySubject, PreparationLogCode.invalidSender, PreparationLogCode.templateSyntaxError])
        #expect(prepared.preparation!.errorCount == 3)
        #expect(try await f.store.listMessages(deliveryID: "d1", statuses: nil, after: nil, limit: 10).items.isEmpty)
        // The KPIs are still computed.
        #expect(prepared.preparation!.targeted == 5)
    }
}
