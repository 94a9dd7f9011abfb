import HeraldCore
import HeraldPersonalization
import Logging
import Testing

@Suite("Control checks through the engine with Mustache")
struct ControlCheckTests {
    private func prepare(_ html: String, subject: String = "Hi {{first_name}}", profiles count: Int = 3) async throws
        -> (Delivery, [PreparationLogEntry])
    {
        let profiles = InMemoryProfileStore()
        let deliveries = InMemoryDeliveryStore()
        let store = InMemoryPreparationStore(profiles: profiles)
        _ = try await profiles.upsertProfiles(
            (0..<count).map { Profile(id: "p\($0)", email: "p\($0)@example.com", firstName: "P\($0)") }, at: CraftedPopulation.now
        )
        try await deliveries.createDelivery(Delivery(
            id: "d", name: "d", content: .init(subject: subject, sender: .init(address: "s@example.com"), htmlBody: html)
        ))
        let engine = PreparationEngine(
            deliveries: deliveries, store: store, renderer: MustacheMessageRenderer(), now: { CraftedPopulation.now },
            logger: Logger(label: "test")
        )
        _ = try await engine.prepare(deliveryID: "d")
        await engine.waitUntilFinished(deliveryID: "d")
        let logs = try await store.listLogEntries(deliveryID: "d", minimumSeverity: .warning, after: nil, limit: 100).items
        return (await deliveries.delivery(id: "d")!, logs)
    }

    private let unsubscribe = "<a href=\"{{unsubscribe_url}}\">u</a>"

    @Test("a clean content is READY with no warning")
    func clean() async throws {
        let (d, logs) = try await prepare("<p>{{first_name}}</p>" + unsubscribe)
        #expect(d.state == .ready)
        #expect(logs.isEmpty)
    }

    @Test("template syntax error: ERROR with the position, PREPARATION_FAILED")
    func syntaxError() async throws {
        let (d, logs) = try await prepare("<p>\n{{#attributes.vip}}x</p>" + unsubscribe)
        #expect(d.state == .preparationFailed)
        #expect(logs.map(\.code) == [PreparationLogCode.templateSyntaxError])
        #expect(logs[0].severity == .error && logs[0].message.contains("html_body 2:"))
    }

    @Test("a field no profile field matches: ERROR")
    func unknownField() async throws {
        let (d, logs) = try await prepare("<p>{{country}}</p>" + unsubscribe)
        #expect(d.state == .preparationFailed)
        #expect(logs.map(\.code) == [PreparationLogCode.unknownField])
        #expect(logs[0].message.contains("did you mean attributes.country?"))
    }

    @Test("a link that is not absolute http(s): ERROR")
    func relativeLink() async throws {
        let (d, logs) = try await prepare("<a href=\"/offers\">o</a><a href=\"https://\">x</a><a href=\"#top\">t</a>" + unsubscribe)
        #expect(d.state == .preparationFailed)
        #expect(logs.map(\.code) == [PreparationLogCode.invalidLink, PreparationLogCode.invalidLink])
    }

    @Test("no unsubscribe link: WARNING only")
    func noUnsubscribe() async throws {
        let (d, logs) = try await prepare("<p>hi</p>")
        #expect(d.state == .ready)
        #expect(logs.map(\.code) == [PreparationLogCode.noUnsubscribeLink])
        #expect(logs[0].severity == .warning)
    }

    @Test("message size: WARNING above 35 KB, ERROR above 60 KB")
    func sizes() async throws {
        let (w, wLogs) = try await prepare(String(repeating: "x", count: 40 * 1024) + unsubscribe)
        #expect(w.state == .ready)
        #expect(wLogs.map(\.code) == [PreparationLogCode.messageTooLarge])
        #expect(wLogs[0].severity == .warning)
        let (e, eLogs) = try await prepare(String(repeating: "x", count: 61 * 1024) + unsubscribe)
        #expect(e.state == .preparationFailed)
        #expect(eLogs.map(\.severity) == [.error])
    }

    @Test("empty subject: ERROR")
    func emptySubject() async throws {
        let (d, logs) = try await prepare(unsubscribe, subject: "  ")
        #expect(d.state == .preparationFailed)
        #expect(logs.map(\.code) == [PreparationLogCode.emptySubject])
    }
}
