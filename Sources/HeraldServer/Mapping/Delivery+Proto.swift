import HeraldCore
import HeraldProtos

extension Delivery {
    /// Copies the writable fields named by `mask` from a request's delivery into this one.
    /// Output-only fields (`id`, `state`, times, `preparation`, `kpis`) are never read.
    ///
    /// - Throws: ``HeraldError/Code/invalidArgument`` for a malformed field (a
    ///   timestamp out of range, a typology rule without a kind or size). The result
    ///   still needs ``Delivery/validate()``.
    mutating func apply(_ proto: Herald_V1_Delivery, fields mask: DeliveryFieldMask) throws(HeraldError) {
        let content = proto.content ?? Herald_V1_DeliveryContent()
        let sender = content.sender ?? Herald_V1_EmailAddress()
        let schedule = proto.schedule ?? Herald_V1_Schedule()
        let typology = proto.typology ?? Herald_V1_Typology()
        for field in mask.fields {
            switch field {
            case .name: name = proto.name
            case .contentSubject: self.content.subject = content.subject
            case .contentSenderName: self.content.sender.name = sender.name
            case .contentSenderAddress: self.content.sender.address = sender.address
            case .contentReplyTo: self.content.replyTo = content.replyTo
            case .contentHTMLBody: self.content.htmlBody = content.htmlBody
            case .contentTextBody: self.content.textBody = content.textBody.isEmpty ? nil : content.textBody
            case .audienceFilter: audience.filter = proto.audience?.filter ?? ""
            case .scheduleSendTime:
                self.schedule.sendTime = try schedule.sendTime.map { ts throws(HeraldError) in
                    try Timestamp(proto: ts, field: "schedule.send_time")
                }
            case .scheduleValidUntil:
                self.schedule.validUntil = try schedule.validUntil.map { ts throws(HeraldError) in
                    try Timestamp(proto: ts, field: "schedule.valid_until")
                }
            case .typologyRules:
                var rules: [TypologyRule] = []
                for (index, rule) in typology.rules.enumerated() {
                    rules.append(try TypologyRule(proto: rule, field: "typology.rules[\(index)]"))
                }
                self.typology.rules = rules
            case .typologyRateLimit:
                rateLimitPerSecond = typology.rateLimitPerSecond == 0 ? nil : Int(typology.rateLimitPerSecond)
            case .typologyTrackingDisabled:
                trackingEnabled = !typology.trackingDisabled
            }
        }
    }

    /// This delivery as the API returns it.
    var proto: Herald_V1_Delivery {
        var message = Herald_V1_Delivery()
        message.id = id
        message.name = name
        message.state = state.proto
        message.createTime = createTime.proto
        message.updateTime = updateTime.proto

        var sender = Herald_V1_EmailAddress()
        sender.name = content.sender.name
        sender.address = content.sender.address
        var content = Herald_V1_DeliveryContent()
        content.subject = self.content.subject
        content.sender = sender
        content.replyTo = self.content.replyTo
        content.htmlBody = self.content.htmlBody
        content.textBody = self.content.textBody ?? ""
        message.content = content

        var audience = Herald_V1_Audience()
        audience.filter = self.audience.filter
        message.audience = audience

        var schedule = Herald_V1_Schedule()
        schedule.sendTime = self.schedule.sendTime?.proto
        schedule.validUntil = self.schedule.validUntil?.proto
        message.schedule = schedule

        var typology = Herald_V1_Typology()
        typology.rules = self.typology.rules.map(\.proto)
        typology.rateLimitPerSecond = Int32(clamping: rateLimitPerSecond ?? 0)
        typology.trackingDisabled = !trackingEnabled
        message.typology = typology

        message.preparation = preparation?.proto
        return message
    }
}

extension Delivery.State {
    /// The state a request names (e.g. a ListDeliveries filter).
    ///
    /// - Throws: ``HeraldError/Code/invalidArgument`` for UNSPECIFIED or an unknown value.
    init(proto: Herald_V1_DeliveryState, field: String) throws(HeraldError) {
        switch proto {
        case .draft: self = .draft
        case .preparing: self = .preparing
        case .ready: self = .ready
        case .preparationFailed: self = .preparationFailed
        case .scheduled: self = .scheduled
        case .sending: self = .sending
        case .paused: self = .paused
        case .completed: self = .completed
        case .failed: self = .failed
        case .cancelled: self = .cancelled
        case .unspecified: throw .invalidArgument("\(field): DELIVERY_STATE_UNSPECIFIED is not a state")
        case .unrecognized(let value): throw .invalidArgument("\(field): \(value) is not a known delivery state")
        }
    }

    var proto: Herald_V1_DeliveryState {
        switch self {
        case .draft: .draft
        case .preparing: .preparing
        case .ready: .ready
        case .preparationFailed: .preparationFailed
        case .scheduled: .scheduled
        case .sending: .sending
        case .paused: .paused
        case .completed: .completed
        case .failed: .failed
        case .cancelled: .cancelled
        }
    }
}

extension TypologyRule {
    /// The domain rule of a request's rule; `field` names it in errors.
    ///
    /// - Throws: ``HeraldError/Code/invalidArgument`` when the kind, or a control
    ///   group's size, is not set. Field values are checked by ``TypologyRule/validate()``.
    init(proto: Herald_V1_TypologyRule, field: String) throws(HeraldError) {
        switch proto.kind {
        case .filtering(let rule)?:
            self = .filtering(name: rule.name, filter: rule.filter)
        case .pressure(let rule)?:
            self = .pressure(name: rule.name, maxMessages: Int(rule.maxMessages), periodDays: Int(rule.periodDays))
        case .capacity(let rule)?:
            self = .capacity(name: rule.name, maxMessages: Int(rule.maxMessages))
        case .controlGroup(let rule)?:
            let size: ControlGroupSize
            switch rule.size {
            case .percent(let percent)?: size = .percent(percent)
            case .count(let count)?: size = .count(Int(count))
            case nil:
                throw .invalidArgument("\(field): control group rule '\(rule.name)' needs a percent or a count")
            }
            self = .controlGroup(name: rule.name, size: size, seed: UInt64(bitPattern: rule.seed))
        case nil:
            throw .invalidArgument("\(field): the rule kind is not set (filtering, pressure, capacity or control_group)")
        }
    }

    var proto: Herald_V1_TypologyRule {
        var message = Herald_V1_TypologyRule()
        switch self {
        case .filtering(let name, let filter):
            var rule = Herald_V1_FilteringRule()
            rule.name = name
            rule.filter = filter
            message.kind = .filtering(rule)
        case .pressure(let name, let maxMessages, let periodDays):
            var rule = Herald_V1_PressureRule()
            rule.name = name
            rule.maxMessages = Int64(maxMessages)
            rule.periodDays = Int32(clamping: periodDays)
            message.kind = .pressure(rule)
        case .capacity(let name, let maxMessages):
            var rule = Herald_V1_CapacityRule()
            rule.name = name
            rule.maxMessages = Int64(maxMessages)
            message.kind = .capacity(rule)
        case .controlGroup(let name, let size, let seed):
            var rule = Herald_V1_ControlGroupRule()
            rule.name = name
            switch size {
            case .percent(let percent): rule.size = .percent(percent)
            case .count(let count): rule.size = .count(Int64(count))
            }
            rule.seed = Int64(bitPattern: seed)
            message.kind = .controlGroup(rule)
        }
        return message
    }
}

extension Delivery.PreparationSummary {
    /// This summary as the API returns it: state, phase, KPIs with the per-cause
    /// counts, error and warning counts, snapshot hash, start and end time.
    var proto: Herald_V1_PreparationSummary {
        var message = Herald_V1_PreparationSummary()
        message.state = state.proto
        message.phase = phase.proto
        var kpis = self.kpis.proto
        kpis.toExclude = Int64(toExclude)
        message.kpis = kpis
        message.errorCount = Int64(errorCount)
        message.warningCount = Int64(warningCount)
        message.snapshotHash = snapshotHash
        message.startTime = startTime?.proto
        message.endTime = endTime?.proto
        return message
    }
}
