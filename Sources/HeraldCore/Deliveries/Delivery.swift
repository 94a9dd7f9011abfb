/// One email campaign: its content, audience, schedule, typology and state.
public struct Delivery: Hashable, Sendable, Codable {
    /// The server-assigned identifier.
    public var id: String
    /// A human-readable name.
    public var name: String
    /// The lifecycle state; change it only through ``State/applying(_:)``.
    public var state: State
    /// What is sent.
    public var content: Content
    /// Who is targeted.
    public var audience: Audience
    /// When it is sent.
    public var schedule: Schedule
    /// The rules applied during preparation.
    public var typology: Typology
    /// The most messages handed to the relays per second, or `nil` for no limit.
    public var rateLimitPerSecond: Int?
    /// Whether links are rewritten for click tracking and an open pixel is added.
    public var trackingEnabled: Bool
    /// The summary of the last preparation, if one ran.
    public var preparation: PreparationSummary?
    /// When the delivery was created.
    public var createTime: Timestamp
    /// When the delivery was last changed.
    public var updateTime: Timestamp

    /// Creates a delivery, in ``State/draft`` unless told otherwise.
    public init(
        id: String,
        name: String,
        state: State = .draft,
        content: Content,
        audience: Audience = Audience(),
        schedule: Schedule = Schedule(),
        typology: Typology = Typology(),
        rateLimitPerSecond: Int? = nil,
        trackingEnabled: Bool = true,
        preparation: PreparationSummary? = nil,
        createTime: Timestamp = .epoch,
        updateTime: Timestamp = .epoch
    ) {
        self.id = id
        self.name = name
        self.state = state
        self.content = content
        self.audience = audience
        self.schedule = schedule
        self.typology = typology
        self.rateLimitPerSecond = rateLimitPerSecond
        self.trackingEnabled = trackingEnabled
        self.preparation = preparation
        self.createTime = createTime
        self.updateTime = updateTime
    }
}

extension Delivery {
    /// The message a delivery sends, before personalization.
    public struct Content: Hashable, Sendable, Codable {
        /// The subject line (a Mustache template).
        public var subject: String
        /// The `From:` identity.
        public var sender: Sender
        /// The `Reply-To:` address, empty for none.
        public var replyTo: String
        /// The HTML body (a Mustache template).
        public var htmlBody: String
        /// The plain-text body (a Mustache template), if any.
        public var textBody: String?

        /// Creates content.
        public init(subject: String, sender: Sender, replyTo: String = "", htmlBody: String, textBody: String? = nil) {
            self.subject = subject
            self.sender = sender
            self.replyTo = replyTo
            self.htmlBody = htmlBody
            self.textBody = textBody
        }
    }

    /// A sender identity: display name and address.
    public struct Sender: Hashable, Sendable, Codable {
        /// The display name, possibly empty.
        public var name: String
        /// The email address.
        public var address: String

        /// Creates a sender.
        public init(name: String = "", address: String) {
            self.name = name
            self.address = address
        }
    }

    /// Who a delivery targets.
    public struct Audience: Hashable, Sendable, Codable {
        /// An audience filter expression (see ``AudienceFilter``); empty targets every profile.
        public var filter: String

        /// Creates an audience.
        public init(filter: String = "") {
            self.filter = filter
        }
    }

    /// When a delivery is sent and until when its messages are worth sending.
    public struct Schedule: Hashable, Sendable, Codable {
        /// Send at this time; `nil` sends as soon as `SendDelivery` is called.
        public var sendTime: Timestamp?
        /// Messages not sent by this time expire.
        public var validUntil: Timestamp?

        /// Creates a schedule.
        public init(sendTime: Timestamp? = nil, validUntil: Timestamp? = nil) {
            self.sendTime = sendTime
            self.validUntil = validUntil
        }
    }

    /// The typology rules applied during preparation, in order.
    public struct Typology: Hashable, Sendable, Codable {
        /// The rules, applied in order after the always-on address checks.
        public var rules: [TypologyRule]

        /// Creates a typology.
        public init(rules: [TypologyRule] = []) {
            self.rules = rules
        }
    }

    /// The summary of a preparation run.
    public struct PreparationSummary: Hashable, Sendable, Codable {
        /// Profiles matched by the audience.
        public var targeted: Int
        /// Messages that will be sent.
        public var toDeliver: Int
        /// Profiles excluded, all causes together.
        public var toExclude: Int
        /// Log entries of severity ERROR.
        public var errorCount: Int
        /// Log entries of severity WARNING.
        public var warningCount: Int
        /// The hash of content, audience and rules the preparation used.
        public var snapshotHash: String
        /// When it started.
        public var startTime: Timestamp?
        /// When it ended.
        public var endTime: Timestamp?
        /// The state of the run.
        public var state: PreparationState
        /// The current phase while running, the last phase reached otherwise.
        public var phase: PreparationPhase?
        /// Profiles excluded per cause (causes without exclusions are absent); the values
        /// add up to ``toExclude``.
        public var exclusionCounts: [ExclusionCause: Int]

        /// Creates a summary.
        public init(
            targeted: Int = 0, toDeliver: Int = 0, toExclude: Int = 0, errorCount: Int = 0, warningCount: Int = 0,
            snapshotHash: String = "", startTime: Timestamp? = nil, endTime: Timestamp? = nil,
            state: PreparationState = .running, phase: PreparationPhase? = nil, exclusionCounts: [ExclusionCause: Int] = [:]
        ) {
            self.targeted = targeted
            self.toDeliver = toDeliver
            self.toExclude = toExclude
            self.errorCount = errorCount
            self.warningCount = warningCount
            self.snapshotHash = snapshotHash
            self.startTime = startTime
            self.endTime = endTime
            self.state = state
            self.phase = phase
            self.exclusionCounts = exclusionCounts
        }

        /// The KPIs of the summary.
        public var kpis: PreparationKPIs {
            PreparationKPIs(targeted: targeted, toDeliver: toDeliver, exclusionCounts: exclusionCounts)
        }

        private enum CodingKeys: String, CodingKey {
            case targeted, toDeliver, toExclude, errorCount, warningCount, snapshotHash, startTime, endTime
            case state, phase, exclusionCounts
        }

        /// Decodes a summary; `state`, `phase` and `exclusionCounts` may be absent (older
        /// stored deliveries), then a finished run with no per-cause counts is assumed.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            targeted = try c.decode(Int.self, forKey: .targeted)
            toDeliver = try c.decode(Int.self, forKey: .toDeliver)
            toExclude = try c.decode(Int.self, forKey: .toExclude)
            errorCount = try c.decode(Int.self, forKey: .errorCount)
            warningCount = try c.decode(Int.self, forKey: .warningCount)
            snapshotHash = try c.decode(String.self, forKey: .snapshotHash)
            startTime = try c.decodeIfPresent(Timestamp.self, forKey: .startTime)
            endTime = try c.decodeIfPresent(Timestamp.self, forKey: .endTime)
            state = try c.decodeIfPresent(PreparationState.self, forKey: .state) ?? (errorCount > 0 ? .failed : .succeeded)
            phase = try c.decodeIfPresent(PreparationPhase.self, forKey: .phase)
            exclusionCounts = try c.decodeIfPresent([ExclusionCause: Int].self, forKey: .exclusionCounts) ?? [:]
        }
    }
}
