import GRPCInterop
import HeraldCore
import HeraldProtos
import HeraldRPC
import Testing

@Suite("DeliveryService CRUD over gRPC with a SQLite file")
struct DeliveryServiceTests {
    @Test("create, get, update, list and delete a delivery")
    func lifecycle() async throws {
        try await withFreshHerald { client, _ async throws in
            var proposed = deliveryMessage(filter: #"attributes.country = "SE""#)
            proposed.id = "client-chosen"  // output only: ignored
            proposed.state = .sending  // output only: ignored
            var typology = Herald_V1_Typology()
            var pressure = Herald_V1_PressureRule()
            pressure.name = "weekly"
            pressure.maxMessages = 3
            pressure.periodDays = 7
            var rule = Herald_V1_TypologyRule()
            rule.kind = .pressure(pressure)
            var control = Herald_V1_ControlGroupRule()
            control.name = "holdout"
            control.size = .percent(5)
            control.seed = -1
            var controlRule = Herald_V1_TypologyRule()
            controlRule.kind = .controlGroup(control)
            typology.rules = [rule, controlRule]
            typology.rateLimitPerSecond = 50
            typology.trackingDisabled = true
            proposed.typology = typology
            var schedule = Herald_V1_Schedule()
            var sendTime = Google_Protobuf_Timestamp()
            sendTime.seconds = 4_000_000_000
            schedule.sendTime = sendTime
            proposed.schedule = schedule

            let created = try await client.createDelivery(proposed)
            #expect(created.id.hasPrefix("dlv_"))
            #expect(created.id != "client-chosen")
            #expect(created.state == .draft)
            #expect(created.name == "Spring news")
            #expect(created.content?.sender?.address == "news@example.com")
            #expect(created.audience?.filter == #"attributes.country = "SE""#)
            #expect(created.typology == typology)
            #expect(created.schedule?.sendTime == sendTime)
            #expect(created.schedule?.validUntil == nil)
            #expect(created.createTime != nil && created.createTime == created.updateTime)

            #expect(try await client.getDelivery(created.id) == created)

            var change = Herald_V1_Delivery()
            change.id = created.id
            change.name = "Spring news (v2)"
            var content = Herald_V1_DeliveryContent()
            content.subject = "New subject"
            change.content = content
            let updated = try await client.updateDelivery(change, paths: ["name", "content.subject"])
            #expect(updated.name == "Spring news (v2)")
            #expect(updated.content?.subject == "New subject")
            #expect(updated.content?.htmlBody == created.content?.htmlBody, "fields outside the mask are kept")
            #expect(updated.content?.sender == created.content?.sender)
            #expect(updated.typology == typology)
            #expect(updated.state == .draft)
            #expect(updated.createTime == created.createTime)
            #expect(try await client.getDelivery(created.id) == updated)

            // A message path replaces everything under it.
            var clearTypology = Herald_V1_Delivery()
            clearTypology.id = created.id
            let cleared = try await client.updateDelivery(clearTypology, paths: ["typology"])
            #expect(cleared.typology == Herald_V1_Typology())

            #expect(try await client.listDeliveries().deliveries.map(\.id) == [created.id])
            try await client.deleteDelivery(created.id)
            await expectRPCError(.notFound, containing: ["delivery '\(created.id)' not found"]) {
                _ = try await client.getDelivery(created.id)
            }
            await expectRPCError(.notFound) { try await client.deleteDelivery(created.id) }
            #expect(try await client.listDeliveries().deliveries.isEmpty)
        }
    }

    @Test("CreateDelivery refuses bad senders, filters and typology rules with clear messages")
    func createRefusals() async throws {
        try await withFreshHerald { client, _ async throws in
            await expectRPCError(.invalidArgument, containing: ["delivery is required"]) {
                _ = try await client.call(Herald_V1_DeliveryService.createDelivery, Herald_V1_CreateDeliveryRequest())
            }
            await expectRPCError(.invalidArgument, containing: ["'not-an-address'", "is not a valid email address"]) {
                _ = try await client.createDelivery(deliveryMessage(sender: "not-an-address"))
            }
            await expectRPCError(.invalidArgument, containing: ["address is required"]) {
                _ = try await client.createDelivery(deliveryMessage(sender: ""))
            }
            await expectRPCError(.invalidArgument, containing: ["name is required"]) {
                _ = try await client.createDelivery(deliveryMessage(name: ""))
            }
            await expectRPCError(.invalidArgument, containing: ["audience.filter", "unknown field 'country' at 1:1"]) {
                _ = try await client.createDelivery(deliveryMessage(filter: #"country = "SE""#))
            }
            await expectRPCError(.invalidArgument, containing: ["audience.filter", "at 1:"]) {
                _ = try await client.createDelivery(deliveryMessage(filter: #"tags HAS"#))
            }

            func withRule(_ kind: Herald_V1_TypologyRule.OneOf_Kind?) -> Herald_V1_Delivery {
                var delivery = deliveryMessage()
                var rule = Herald_V1_TypologyRule()
                rule.kind = kind
                var typology = Herald_V1_Typology()
                typology.rules = [rule]
                delivery.typology = typology
                return delivery
            }
            await expectRPCError(.invalidArgument, containing: ["typology.rules[0]", "rule kind is not set"]) {
                _ = try await client.createDelivery(withRule(nil))
            }
            var pressure = Herald_V1_PressureRule()
            pressure.name = "p"
            pressure.maxMessages = 0
            pressure.periodDays = 7
            await expectRPCError(.invalidArgument, containing: ["typology.rules[0]", "pressure rule 'p'", "max_messages"]) {
                _ = try await client.createDelivery(withRule(.pressure(pressure)))
            }
            var filtering = Herald_V1_FilteringRule()
            filtering.name = "f"
            filtering.filter = "attributes.x >"
            await expectRPCError(.invalidArgument, containing: ["typology.rules[0]", "filtering rule 'f'", "at 1:"]) {
                _ = try await client.createDelivery(withRule(.filtering(filtering)))
            }
            var control = Herald_V1_ControlGroupRule()
            control.name = "c"
            await expectRPCError(.invalidArgument, containing: ["control group rule 'c'", "percent or a count"]) {
                _ = try await client.createDelivery(withRule(.controlGroup(control)))
            }
            control.size = .percent(150)
            await expectRPCError(.invalidArgument, containing: ["percent must be in 0...100"]) {
                _ = try await client.createDelivery(withRule(.controlGroup(control)))
            }
            var capacity = Herald_V1_CapacityRule()
            capacity.name = ""
            await expectRPCError(.invalidArgument, containing: ["rule name is required"]) {
                _ = try await client.createDelivery(withRule(.capacity(capacity)))
            }
            var badTime = deliveryMessage()
            var schedule = Herald_V1_Schedule()
            var time = Google_Protobuf_Timestamp()
            time.seconds = 1_000_000_000_000
            schedule.sendTime = time
            badTime.schedule = schedule
            await expectRPCError(.invalidArgument, containing: ["schedule.send_time"]) {
                _ = try await client.createDelivery(badTime)
            }
            var negativeRate = deliveryMessage()
            var typology = Herald_V1_Typology()
            typology.rateLimitPerSecond = -5
            negativeRate.typology = typology
            await expectRPCError(.invalidArgument, containing: ["rate_limit_per_second"]) {
                _ = try await client.createDelivery(negativeRate)
            }
            #expect(try await client.listDeliveries().deliveries.isEmpty)
        }
    }

    @Test("UpdateDelivery refuses unknown and output-only mask paths, and invalid values, changing nothing")
    func updateRefusals() async throws {
        try await withFreshHerald { client, _ async throws in
            let created = try await client.createDelivery(deliveryMessage())
            var change = created
            change.name = "x"
            await expectRPCError(.invalidArgument, containing: ["unknown field path 'nmae'", "updatable paths are name"]) {
                _ = try await client.updateDelivery(change, paths: ["nmae"])
            }
            await expectRPCError(.invalidArgument, containing: ["'state' is output only"]) {
                _ = try await client.updateDelivery(change, paths: ["state"])
            }
            await expectRPCError(.invalidArgument, containing: ["unknown field path 'content.from'"]) {
                _ = try await client.updateDelivery(change, paths: ["content.from"])
            }
            var badSender = created
            badSender.content?.sender?.address = "nobody@"
            await expectRPCError(.invalidArgument, containing: ["'nobody@' is not a valid email address"]) {
                _ = try await client.updateDelivery(badSender, paths: ["content.sender.address"])
            }
            var badFilter = created
            badFilter.audience?.filter = "attributes.a = = 1"
            await expectRPCError(.invalidArgument, containing: ["audience.filter", "at 1:"]) {
                _ = try await client.updateDelivery(badFilter, paths: ["audience"])
            }
            var missing = created
            missing.id = "dlv_missing"
            await expectRPCError(.notFound, containing: ["'dlv_missing' not found"]) {
                _ = try await client.updateDelivery(missing, paths: ["name"])
            }
            var noID = created
            noID.id = ""
            await expectRPCError(.invalidArgument, containing: ["delivery.id is required"]) {
                _ = try await client.updateDelivery(noID, paths: ["name"])
            }
            #expect(try await client.getDelivery(created.id) == created)

            // An empty mask sets every writable field.
            var full = deliveryMessage(name: "Replaced")
            full.id = created.id
            let replaced = try await client.updateDelivery(full, paths: nil)
            #expect(replaced.name == "Replaced")
        }
    }

    @Test("a change returns READY and PREPARATION_FAILED to DRAFT", arguments: [Delivery.State.ready, .preparationFailed])
    func updateReturnsToDraft(state: Delivery.State) async throws {
        try await withFreshHerald { client, directory async throws in
            let created = try await client.createDelivery(deliveryMessage())
            try await forceState(state, of: created.id, databasePath: directory.databasePath)
            #expect(try await client.getDelivery(created.id).state == (state == .ready ? .ready : .preparationFailed))
            var change = created
            change.name = "Edited"
            let updated = try await client.updateDelivery(change, paths: ["name"])
            #expect(updated.state == .draft)
            #expect(updated.name == "Edited")
        }
    }

    @Test(
        "UpdateDelivery is FAILED_PRECONDITION while PREPARING, SCHEDULED, SENDING, PAUSED and in final states",
        arguments: [Delivery.State.preparing, .scheduled, .sending, .paused, .completed, .failed, .cancelled]
    )
    func updateRefusedByState(state: Delivery.State) async throws {
        try await withFreshHerald { client, directory async throws in
            let created = try await client.createDelivery(deliveryMessage())
            try await forceState(state, of: created.id, databasePath: directory.databasePath)
            var change = created
            change.name = "Edited"
            await expectRPCError(.failedPrecondition, containing: ["cannot change a delivery in state \(state.rawValue)"]) {
                _ = try await client.updateDelivery(change, paths: ["name"])
            }
            let after = try await client.getDelivery(created.id)
            #expect(after.name == created.name)
        }
    }

    @Test("DeleteDelivery is refused while the delivery is active", arguments: Delivery.State.allCases)
    func deleteByState(state: Delivery.State) async throws {
        try await withFreshHerald { client, directory async throws in
            let created = try await client.createDelivery(deliveryMessage())
            try await forceState(state, of: created.id, databasePath: directory.databasePath)
            if state.isActive {
                await expectRPCError(.failedPrecondition, containing: ["cannot delete a delivery in state \(state.rawValue)"]) {
                    try await client.deleteDelivery(created.id)
                }
                #expect(try await client.getDelivery(created.id).id == created.id)
            } else {
                try await client.deleteDelivery(created.id)
                await expectRPCError(.notFound) { _ = try await client.getDelivery(created.id) }
            }
        }
    }

    @Test("ListDeliveries pages newest first and filters by state")
    func listing() async throws {
        try await withFreshHerald { client, directory async throws in
            var ids: [String] = []
            for i in 0..<25 {
                ids.append(try await client.createDelivery(deliveryMessage(name: "d\(i)")).id)
            }
            var seen: [String] = []
            var token = ""
            repeat {
                let page = try await client.listDeliveries(pageSize: 10, pageToken: token)
                #expect(page.deliveries.count <= 10)
                seen += page.deliveries.map(\.id)
                token = page.nextPageToken
            } while !token.isEmpty
            #expect(seen == Array(ids.reversed()), "newest first")

            for id in ids.prefix(4) { try await forceState(.ready, of: id, databasePath: directory.databasePath) }
            try await forceState(.sending, of: ids[10], databasePath: directory.databasePath)
            let ready = try await client.listDeliveries(states: [.ready])
            #expect(ready.deliveries.map(\.id) == Array(ids.prefix(4).reversed()))
            #expect(ready.deliveries.allSatisfy { $0.state == .ready })
            let readyOrSending = try await client.listDeliveries(states: [.ready, .sending], pageSize: 3)
            #expect(readyOrSending.deliveries.map(\.id) == [ids[10], ids[3], ids[2]])
            let next = try await client.listDeliveries(states: [.ready, .sending], pageSize: 3, pageToken: readyOrSending.nextPageToken)
            #expect(next.deliveries.map(\.id) == [ids[1], ids[0]])
            #expect(next.nextPageToken.isEmpty)
            #expect(try await client.listDeliveries(states: [.draft]).deliveries.count == 20)

            await expectRPCError(.invalidArgument, containing: ["states[0]", "UNSPECIFIED"]) {
                _ = try await client.listDeliveries(states: [.unspecified])
            }
            await expectRPCError(.invalidArgument, containing: ["states[1]"]) {
                _ = try await client.listDeliveries(states: [.draft, .unrecognized(99)])
            }
            await expectRPCError(.invalidArgument, containing: ["page_token"]) {
                _ = try await client.listDeliveries(pageToken: "%%%")
            }
            await expectRPCError(.invalidArgument, containing: ["page_token"]) {
                _ = try await client.listDeliveries(pageToken: ids[0])
            }
        }
    }

    @Test("request_id makes CreateDelivery and UpdateDelivery idempotent")
    func idempotency() async throws {
        try await withFreshHerald { client, _ async throws in
            let first = try await client.createDelivery(deliveryMessage(name: "Once"), requestID: "create-1")
            let retry = try await client.createDelivery(deliveryMessage(name: "Twice"), requestID: "create-1")
            #expect(retry == first)
            #expect(try await client.listDeliveries().deliveries.map(\.id) == [first.id])
            let other = try await client.createDelivery(deliveryMessage(name: "Other"), requestID: "create-2")
            #expect(other.id != first.id)

            var change = first
            change.name = "Renamed"
            let updated = try await client.updateDelivery(change, paths: ["name"], requestID: "update-1")
            change.name = "Renamed again"
            #expect(try await client.updateDelivery(change, paths: ["name"], requestID: "update-1") == updated)
            #expect(try await client.getDelivery(first.id).name == "Renamed")

            // Failures are not recorded: fixing the request and retrying with the same id works.
            await expectRPCError(.invalidArgument) {
                _ = try await client.createDelivery(deliveryMessage(sender: "bad"), requestID: "create-3")
            }
            let fixed = try await client.createDelivery(deliveryMessage(name: "Fixed"), requestID: "create-3")
            #expect(fixed.name == "Fixed")
        }
    }
}
