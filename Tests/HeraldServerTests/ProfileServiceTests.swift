import GRPCInterop
import HeraldProtos
import HeraldRPC
import Testing

@Suite("ProfileService over gRPC with a SQLite file")
struct ProfileServiceTests {
    @Test("upsert creates then updates, and GetProfile returns every field")
    func upsertAndGet() async throws {
        try await withFreshHerald { client, _ async throws in
            let first = try await client.upsert([
                profileMessage("p1", firstName: "Ada", tags: ["vip", "beta", "vip"], attributes: ["country": "SE", "age": "36"]),
                profileMessage("p2", subscription: .unsubscribed),
                profileMessage("p3", subscription: .denylisted),
            ])
            #expect(first.insertedCount == 3)
            #expect(first.updatedCount == 0)
            #expect(first.errors.isEmpty)

            let p1 = try await client.getProfile("p1")
            #expect(p1.email == "p1@example.com")
            #expect(p1.firstName == "Ada")
            #expect(p1.tags == ["beta", "vip"])
            #expect(p1.attributes == ["country": "SE", "age": "36"])
            #expect(p1.subscription == .subscribed)
            let created = try #require(p1.createdAt)
            #expect(p1.updatedAt == created)
            #expect(try await client.getProfile("p2").subscription == .unsubscribed)
            #expect(try await client.getProfile("p3").subscription == .denylisted)

            try await Task.sleep(for: .milliseconds(5))
            let second = try await client.upsert([profileMessage("p1", firstName: "Ada L."), profileMessage("p4")])
            #expect(second.insertedCount == 1)
            #expect(second.updatedCount == 1)
            let updated = try await client.getProfile("p1")
            #expect(updated.firstName == "Ada L.")
            #expect(updated.attributes.isEmpty, "a row replaces the whole profile")
            #expect(updated.createdAt == created)
            #expect(try #require(updated.updatedAt).seconds * 1_000_000_000 + Int64(updated.updatedAt!.nanos)
                > created.seconds * 1_000_000_000 + Int64(created.nanos))
        }
    }

    @Test("bad rows are reported one by one and the good rows are stored")
    func upsertBadRows() async throws {
        try await withFreshHerald { client, _ async throws in
            let response = try await client.upsert([
                profileMessage("ok1"),
                profileMessage(""),
                profileMessage("bad-key", attributes: ["1st": "x"]),
                profileMessage("ok2"),
                profileMessage(String(repeating: "x", count: 257)),
                profileMessage("bad-sub", subscription: .unrecognized(42)),
                profileMessage("empty-tag", tags: [""]),
                profileMessage("ok3"),
            ])
            #expect(response.insertedCount == 3)
            try #require(response.errors.map(\.index) == [1, 2, 4, 5, 6])
            #expect(response.errors.map(\.profileId) == ["", "bad-key", String(repeating: "x", count: 257), "bad-sub", "empty-tag"])
            #expect(response.errors[0].message == "profile id is missing")
            #expect(response.errors[1].message.contains("attribute key '1st' is not valid"))
            #expect(response.errors[2].message.contains("longer than 256 bytes"))
            #expect(response.errors[3].message.contains("subscription 42 is not a known value"))
            #expect(response.errors[4].message.contains("empty tag"))
            #expect(try await client.count("") == 3)
            #expect(try await client.count(#"id IN ("ok1", "ok2", "ok3")"#) == 3)
        }
    }

    @Test("a batch of 10,000 is accepted and 10,001 is INVALID_ARGUMENT with nothing stored")
    func batchLimit() async throws {
        try await withFreshHerald { client, _ async throws in
            let full = (0..<10_000).map { profileMessage("p\($0)") }
            #expect(try await client.upsert(full).insertedCount == 10_000)
            let over = (0..<10_001).map { profileMessage("q\($0)") }
            await expectRPCError(.invalidArgument, containing: ["at most 10000", "10001"]) {
                _ = try await client.upsert(over)
            }
            #expect(try await client.count("") == 10_000)
            #expect(try await client.count(#"id STARTS WITH "q""#) == 0)
        }
    }

    @Test("ListProfiles pages through everything in id order, with and without a filter")
    func listPaging() async throws {
        try await withFreshHerald { client, _ async throws in
            let ids = (0..<1_234).map { String(format: "id-%05d", ($0 * 7_919) % 1_234) }
            let rows = ids.map { id in
                profileMessage(id, attributes: ["n": String(Int(id.dropFirst(3))!)])
            }
            #expect(try await client.upsert(rows).insertedCount == 1_234)

            // Default page size (100), all pages.
            var seen: [String] = []
            var token = ""
            var pages = 0
            repeat {
                let page = try await client.listProfiles(pageToken: token)
                #expect(page.profiles.count <= 100)
                seen += page.profiles.map(\.id)
                token = page.nextPageToken
                pages += 1
            } while !token.isEmpty
            #expect(pages == 13)
            #expect(seen == ids.sorted())

            // Capped at 1,000.
            let big = try await client.listProfiles(pageSize: 5_000)
            #expect(big.profiles.count == 1_000)
            #expect(!big.nextPageToken.isEmpty)
            let rest = try await client.listProfiles(pageSize: 5_000, pageToken: big.nextPageToken)
            #expect(rest.profiles.count == 234)
            #expect(rest.nextPageToken.isEmpty)

            // Filtered, across pages of 7.
            var filtered: [String] = []
            token = ""
            repeat {
                let page = try await client.listProfiles(filter: "attributes.n < 50", pageSize: 7, pageToken: token)
                filtered += page.profiles.map(\.id)
                token = page.nextPageToken
            } while !token.isEmpty
            #expect(filtered == (0..<50).map { String(format: "id-%05d", $0) })

            // The token is opaque: not the id itself.
            #expect(!big.nextPageToken.contains("id-"))
        }
    }

    @Test("ListProfiles refuses bad tokens, negative sizes and bad filters")
    func listRefusals() async throws {
        try await withFreshHerald { client, _ async throws in
            _ = try await client.upsert((0..<3).map { profileMessage("p\($0)") })
            await expectRPCError(.invalidArgument, containing: ["page_token"]) {
                _ = try await client.listProfiles(pageToken: "not a token!")
            }
            await expectRPCError(.invalidArgument, containing: ["page_token"]) {
                _ = try await client.listProfiles(pageToken: "p1")
            }
            _ = try await client.createDelivery(deliveryMessage())
            _ = try await client.createDelivery(deliveryMessage())
            let deliveryToken = try await client.listDeliveries(pageSize: 1).nextPageToken
            #expect(!deliveryToken.isEmpty)
            await expectRPCError(.invalidArgument, containing: ["page_token"]) {
                _ = try await client.listProfiles(pageToken: deliveryToken)
            }
            await expectRPCError(.invalidArgument, containing: ["page_size"]) {
                _ = try await client.listProfiles(pageSize: -1)
            }
            await expectRPCError(.invalidArgument, containing: ["filter:", "at 1:"]) {
                _ = try await client.listProfiles(filter: "email ==")
            }
        }
    }

    @Test("CountAudience counts what filters match and names the position of a bad filter")
    func countAudience() async throws {
        try await withFreshHerald { client, _ async throws in
            var rows: [Herald_V1_Profile] = []
            for i in 0..<300 {
                rows.append(profileMessage(
                    "p\(i)", email: i % 10 == 0 ? "p\(i)@example.org" : "p\(i)@mail.test",
                    tags: i % 3 == 0 ? ["vip"] : [],
                    attributes: ["country": i % 2 == 0 ? "SE" : "FR", "age": String(i % 80)],
                    subscription: i % 7 == 0 ? .unsubscribed : .subscribed
                ))
            }
            _ = try await client.upsert(rows)
            let all = (0..<300)
            func expected(_ predicate: (Int) -> Bool) -> Int64 { Int64(all.filter(predicate).count) }

            #expect(try await client.count("") == 300)
            #expect(try await client.count(#"attributes.country = "SE""#) == expected { $0 % 2 == 0 })
            #expect(try await client.count(#"attributes.country = "SE" AND attributes.age >= 18 AND tags HAS "vip""#)
                == expected { $0 % 2 == 0 && $0 % 80 >= 18 && $0 % 3 == 0 })
            #expect(try await client.count(#"NOT email ENDS WITH "@example.org""#) == expected { $0 % 10 != 0 })
            #expect(try await client.count(#"subscription = "UNSUBSCRIBED" OR attributes.age < 5"#)
                == expected { $0 % 7 == 0 || $0 % 80 < 5 })
            #expect(try await client.count(#"attributes.missing EXISTS"#) == 0)

            await expectRPCError(.invalidArgument, containing: ["unknown field 'country' at 1:1", "attributes.country"]) {
                _ = try await client.count(#"country = "SE""#)
            }
            await expectRPCError(.invalidArgument, containing: ["at 1:27"]) {
                _ = try await client.count(#"attributes.age >= 18 AND ("#)
            }
            await expectRPCError(.invalidArgument, containing: ["filter:"]) {
                _ = try await client.count(#"email = "x"; DROP TABLE profiles; --"#)
            }
            #expect(try await client.count(#"email = "'; DROP TABLE profiles; --""#) == 0)
            #expect(try await client.count("") == 300)
        }
    }

    @Test("GetProfile, DeleteProfile and SetSubscription, with their refusals")
    func getDeleteSubscribe() async throws {
        try await withFreshHerald { client, _ async throws in
            _ = try await client.upsert([profileMessage("a"), profileMessage("b")])
            await expectRPCError(.notFound, containing: ["profile 'zz' not found"]) { _ = try await client.getProfile("zz") }
            await expectRPCError(.invalidArgument, containing: ["profile_id is required"]) { _ = try await client.getProfile("") }

            var subscribe = Herald_V1_SetSubscriptionRequest()
            subscribe.profileId = "a"
            subscribe.subscription = .unsubscribed
            let changed = try await client.call(Herald_V1_ProfileService.setSubscription, subscribe)
            #expect(changed.profile?.subscription == .unsubscribed)
            #expect(try await client.getProfile("a").subscription == .unsubscribed)
            #expect(try await client.count(#"subscription = "UNSUBSCRIBED""#) == 1)

            subscribe.subscription = .unspecified
            await expectRPCError(.invalidArgument, containing: ["subscription is required"]) {
                _ = try await client.call(Herald_V1_ProfileService.setSubscription, subscribe)
            }
            subscribe.subscription = .denylisted
            subscribe.profileId = "zz"
            await expectRPCError(.notFound) { _ = try await client.call(Herald_V1_ProfileService.setSubscription, subscribe) }

            var delete = Herald_V1_DeleteProfileRequest()
            delete.profileId = "a"
            _ = try await client.call(Herald_V1_ProfileService.deleteProfile, delete)
            await expectRPCError(.notFound) { _ = try await client.getProfile("a") }
            await expectRPCError(.notFound, containing: ["profile 'a' not found"]) {
                _ = try await client.call(Herald_V1_ProfileService.deleteProfile, delete)
            }
            #expect(try await client.count("") == 1)

            // With a request_id, a retried delete returns the first (successful) result.
            delete.profileId = "b"
            delete.requestId = "delete-b"
            _ = try await client.call(Herald_V1_ProfileService.deleteProfile, delete)
            _ = try await client.call(Herald_V1_ProfileService.deleteProfile, delete)
            #expect(try await client.count("") == 0)
        }
    }

    @Test("request_id makes UpsertProfiles idempotent: a retry returns the first result and changes nothing")
    func idempotentUpsert() async throws {
        try await withFreshHerald { client, _ async throws in
            let first = try await client.upsert([profileMessage("a", firstName: "First"), profileMessage("")], requestID: "batch-1")
            #expect(first.insertedCount == 1)
            #expect(first.errors.count == 1)
            let retry = try await client.upsert([profileMessage("a", firstName: "Second")], requestID: "batch-1")
            #expect(retry == first)
            #expect(try await client.getProfile("a").firstName == "First")

            let other = try await client.upsert([profileMessage("a", firstName: "Third")], requestID: "batch-2")
            #expect(other.updatedCount == 1)
            #expect(try await client.getProfile("a").firstName == "Third")

            await expectRPCError(.invalidArgument, containing: ["request_id"]) {
                _ = try await client.upsert([profileMessage("a")], requestID: String(repeating: "r", count: 300))
            }
        }
    }
}
