extension Delivery {
    /// The lifecycle of a delivery (API.md, "Delivery states").
    ///
    /// ```
    /// DRAFT → PREPARING → READY | PREPARATION_FAILED
    /// PREPARING → DRAFT                      (preparation stopped)
    /// READY → SENDING | SCHEDULED → SENDING
    /// SENDING ⇄ PAUSED
    /// SENDING | PAUSED | SCHEDULED → CANCELLED (final)
    /// SENDING → COMPLETED | FAILED
    /// READY | PREPARATION_FAILED → DRAFT     (content changed)
    /// ```
    ///
    /// Transitions are computed by the pure ``applying(_:)``; anything else is refused
    /// with ``HeraldError/Code/failedPrecondition``.
    public enum State: String, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
        /// Being edited; nothing prepared.
        case draft = "DRAFT"
        /// A preparation runs in the background.
        case preparing = "PREPARING"
        /// Prepared without errors; can be sent.
        case ready = "READY"
        /// The last preparation logged errors; sending is blocked.
        case preparationFailed = "PREPARATION_FAILED"
        /// Armed to start sending at its send time.
        case scheduled = "SCHEDULED"
        /// Messages are being handed to the relays.
        case sending = "SENDING"
        /// Sending is suspended; can be resumed.
        case paused = "PAUSED"
        /// Stopped for good by a user (final).
        case cancelled = "CANCELLED"
        /// Every message was handled (final).
        case completed = "COMPLETED"
        /// Sending stopped on an unrecoverable error (final).
        case failed = "FAILED"

        /// The API name, e.g. `PREPARATION_FAILED`.
        public var description: String { rawValue }

        /// Whether no further transition is possible.
        public var isFinal: Bool { self == .cancelled || self == .completed || self == .failed }

        /// Whether the delivery's content, audience and rules may be changed
        /// (with ``Event/contentChanged``) in this state.
        public var isEditable: Bool { self == .draft || self == .ready || self == .preparationFailed }

        /// Whether work is in progress or armed (PREPARING, SCHEDULED, SENDING, PAUSED):
        /// such a delivery can be neither changed nor deleted.
        public var isActive: Bool { self == .preparing || self == .scheduled || self == .sending || self == .paused }

        /// Returns the state after `event`, or throws when the event is not allowed.
        ///
        /// `prepare` while PREPARING returns PREPARING (the same preparation goes on, as
        /// `PrepareDelivery` promises). `contentChanged` on a DRAFT stays DRAFT. `send`
        /// goes to SCHEDULED when the event's send time is after its `now`, else to
        /// SENDING; the caller checks the prepared snapshot before sending.
        ///
        /// - Throws: ``HeraldError`` with code ``HeraldError/Code/failedPrecondition``.
        public func applying(_ event: Event) throws(HeraldError) -> State {
            switch (self, event) {
            case (.draft, .prepare), (.ready, .prepare), (.preparationFailed, .prepare), (.preparing, .prepare):
                return .preparing
            case (.preparing, .preparationSucceeded):
                return .ready
            case (.preparing, .preparationFailed):
                return .preparationFailed
            case (.preparing, .stopPreparation):
                return .draft
            case (.ready, .send(let sendTime, let now)):
                if let sendTime, sendTime > now { return .scheduled }
                return .sending
            case (.scheduled, .scheduleReached):
                return .sending
            case (.sending, .pause):
                return .paused
            case (.paused, .resume):
                return .sending
            case (.sending, .cancel), (.paused, .cancel), (.scheduled, .cancel):
                return .cancelled
            case (.sending, .complete):
                return .completed
            case (.sending, .fail):
                return .failed
            case (.draft, .contentChanged), (.ready, .contentChanged), (.preparationFailed, .contentChanged):
                return .draft
            default:
                throw .failedPrecondition(refusal(event))
            }
        }

        /// Throws unless a delivery in this state may be deleted (not while active).
        public func checkDeletable() throws(HeraldError) {
            if isActive {
                throw .failedPrecondition("cannot delete a delivery in state \(rawValue); cancel or stop it first")
            }
        }

        private func refusal(_ event: Event) -> String {
            if isFinal {
                return "cannot \(event.verb) a delivery in state \(rawValue): the state is final"
            }
            switch event {
            case .send:
                return "cannot send a delivery in state \(rawValue): it must be READY (prepare it first)"
            case .contentChanged:
                return "cannot change a delivery in state \(rawValue)"
            default:
                return "cannot \(event.verb) a delivery in state \(rawValue)"
            }
        }
    }

    /// Something that happens to a delivery and may change its ``State``.
    public enum Event: Hashable, Sendable {
        /// `PrepareDelivery`.
        case prepare
        /// The preparation ended without ERROR log entries.
        case preparationSucceeded
        /// The preparation ended with ERROR log entries or could not run.
        case preparationFailed
        /// `StopPreparation`.
        case stopPreparation
        /// `SendDelivery` at `now`, with the delivery's schedule send time.
        case send(sendTime: Timestamp?, now: Timestamp)
        /// The clock reached a SCHEDULED delivery's send time.
        case scheduleReached
        /// `PauseDelivery`.
        case pause
        /// `ResumeDelivery`.
        case resume
        /// `CancelDelivery`.
        case cancel
        /// Every message was handled.
        case complete
        /// Sending stopped on an unrecoverable error.
        case fail
        /// The content, audience, schedule or rules were changed (`UpdateDelivery`).
        case contentChanged

        var verb: String {
            switch self {
            case .prepare: "prepare"
            case .preparationSucceeded: "finish the preparation of"
            case .preparationFailed: "fail the preparation of"
            case .stopPreparation: "stop the preparation of"
            case .send: "send"
            case .scheduleReached: "start the schedule of"
            case .pause: "pause"
            case .resume: "resume"
            case .cancel: "cancel"
            case .complete: "complete"
            case .fail: "fail"
            case .contentChanged: "change"
            }
        }
    }
}
