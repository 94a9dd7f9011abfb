import HeraldCore
import Testing

@Suite("Delivery state machine")
struct DeliveryStateMachineTests {
    typealias State = Delivery.State

    static let now = Timestamp(seconds: 1_700_000_000)

    /// Every event, with a name for the test table.
    static let events: [(String, Delivery.Event)] = [
        ("prepare", .prepare),
        ("preparationSucceeded", .preparationSucceeded),
        ("preparationFailed", .preparationFailed),
        ("stopPreparation", .stopPreparation),
        ("sendNow", .send(sendTime: nil, now: now)),
        ("sendPastSchedule", .send(sendTime: now.adding(seconds: -60), now: now)),
        ("sendAtNow", .send(sendTime: now, now: now)),
        ("sendFutureSchedule", .send(sendTime: now.adding(seconds: 3600), now: now)),
        ("scheduleReached", .scheduleReached),
        ("pause", .pause),
        ("resume", .resume),
        ("cancel", .cancel),
        ("complete", .complete),
        ("fail", .fail),
        ("contentChanged", .contentChanged),
    ]

    /// The allowed transitions of API.md; every pair not listed is refused.
    static let allowed: [State: [String: State]] = [
        .draft: ["prepare": .preparing, "contentChanged": .draft],
        .preparing: [
            "prepare": .preparing, "preparationSucceeded": .ready, "preparationFailed": .preparationFailed,
            "stopPreparation": .draft,
        ],
        .ready: [
            "prepare": .preparing, "sendNow": .sending, "sendPastSchedule": .sending, "sendAtNow": .sending,
            "sendFutureSchedule": .scheduled, "contentChanged": .draft,
        ],
        .preparationFailed: ["prepare": .preparing, "contentChanged": .draft],
        .scheduled: ["scheduleReached": .sending, "cancel": .cancelled],
        .sending: ["pause": .paused, "cancel": .cancelled, "complete": .completed, "fail": .failed],
        .paused: ["resume": .sending, "cancel": .cancelled],
        .cancelled: [:],
        .completed: [:],
        .failed: [:],
    ]

    static var allPairs: [(State, String)] {
        State.allCases.flatMap { state in events.map { (state, $0.0) } }
    }

    @Test("every state × event pair is allowed or refused as API.md says", arguments: allPairs)
    func transition(state: State, eventName: String) throws {
        let event = try #require(Self.events.first { $0.0 == eventName }?.1)
        if let expected = Self.allowed[state]?[eventName] {
            #expect(try state.applying(event) == expected)
        } else {
            let error = #expect(throws: HeraldError.self) { try state.applying(event) }
            #expect(error?.code == .failedPrecondition)
            #expect(error?.message.contains(state.rawValue) == true)
        }
    }

    @Test("the table covers all 150 pairs and 22 are allowed")
    func tableSize() {
        #expect(Self.allPairs.count == 150)
        #expect(Self.allowed.values.map(\.count).reduce(0, +) == 22)
    }

    @Test("final states refuse everything, with a message saying so", arguments: [State.cancelled, .completed, .failed])
    func finalStates(state: State) {
        #expect(state.isFinal)
        for (_, event) in Self.events {
            let error = #expect(throws: HeraldError.self) { try state.applying(event) }
            #expect(error?.message.contains("final") == true)
        }
    }

    @Test(
        "editable, active and deletable states",
        arguments: State.allCases
    )
    func flags(state: State) {
        #expect(state.isEditable == [.draft, .ready, .preparationFailed].contains(state))
        #expect(state.isActive == [.preparing, .scheduled, .sending, .paused].contains(state))
        if state.isActive {
            #expect(throws: HeraldError.self) { try state.checkDeletable() }
        } else {
            #expect(throws: Never.self) { try state.checkDeletable() }
        }
    }

    @Test("sending a delivery that is not READY says it must be prepared")
    func sendMessage() {
        let error = #expect(throws: HeraldError.self) { try State.draft.applying(.send(sendTime: nil, now: Self.now)) }
        #expect(error?.message == "cannot send a delivery in state DRAFT: it must be READY (prepare it first)")
    }
}
