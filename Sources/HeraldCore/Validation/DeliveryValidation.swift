extension Delivery {
    /// The longest accepted delivery or rule name, in UTF-8 bytes.
    public static let maxNameLength = 256
    /// The most typology rules a delivery may carry.
    public static let maxRules = 64

    /// Checks what a client may set on a delivery, before it is stored.
    ///
    /// Checks: a non-empty name of at most ``maxNameLength`` bytes; a valid sender
    /// address; a valid reply-to address when set; an audience filter that parses; a
    /// positive rate limit when set; `valid_until` after `send_time` when both are set;
    /// and every typology rule (``TypologyRule/validate()``), with unique names. An
    /// empty subject or a template error is not refused here: those are control checks
    /// of the preparation.
    ///
    /// - Throws: ``HeraldError`` with code ``HeraldError/Code/invalidArgument``; the
    ///   message names the field.
    public func validate() throws(HeraldError) {
        guard !name.isEmpty else { throw .invalidArgument("name is required") }
        guard name.utf8.count <= Self.maxNameLength else {
            throw .invalidArgument("name is longer than \(Self.maxNameLength) bytes")
        }
        guard !content.sender.address.isEmpty else {
            throw .invalidArgument("content.from.address is required")
        }
        guard EmailAddress.isValid(content.sender.address) else {
            throw .invalidArgument("content.from.address '\(content.sender.address)' is not a valid email address")
        }
        if !content.replyTo.isEmpty, !EmailAddress.isValid(content.replyTo) {
            throw .invalidArgument("content.reply_to '\(content.replyTo)' is not a valid email address")
        }
        do {
            _ = try AudienceFilter(parsing: audience.filter)
        } catch {
            throw .invalidArgument("audience.filter: \(error.message)", cause: error.cause)
        }
        if let rate = rateLimitPerSecond, rate <= 0 {
            throw .invalidArgument("rate_limit_per_second must be positive (got \(rate))")
        }
        if let send = schedule.sendTime, let until = schedule.validUntil, until <= send {
            throw .invalidArgument("schedule.valid_until (\(until)) must be after schedule.send_time (\(send))")
        }
        guard typology.rules.count <= Self.maxRules else {
            throw .invalidArgument("typology has more than \(Self.maxRules) rules")
        }
        var names = Set<String>()
        for (index, rule) in typology.rules.enumerated() {
            do {
                try rule.validate()
            } catch {
                throw .invalidArgument("typology.rules[\(index)]: \(error.message)", cause: error.cause)
            }
            guard names.insert(rule.name).inserted else {
                throw .invalidArgument("typology.rules[\(index)]: duplicate rule name '\(rule.name)'")
            }
        }
    }
}

extension TypologyRule {
    /// The longest accepted pressure period, in days (10 years).
    public static let maxPeriodDays = 3_650

    /// Checks the rule's fields.
    ///
    /// A non-empty name of at most ``Delivery/maxNameLength`` bytes; filtering: a
    /// non-empty filter that parses; pressure: `max_messages` ≥ 1 and `period_days` in
    /// 1…``maxPeriodDays``; capacity: `max_messages` ≥ 0; control group: a percent in
    /// 0…100 or a count ≥ 0.
    ///
    /// - Throws: ``HeraldError`` with code ``HeraldError/Code/invalidArgument``.
    public func validate() throws(HeraldError) {
        guard !name.isEmpty else { throw .invalidArgument("rule name is required") }
        guard name.utf8.count <= Delivery.maxNameLength else {
            throw .invalidArgument("rule name is longer than \(Delivery.maxNameLength) bytes")
        }
        switch self {
        case .filtering(_, let filter):
            guard !filter.allSatisfy(\.isWhitespace) else {
                throw .invalidArgument("filtering rule '\(name)': filter is required")
            }
            do {
                _ = try AudienceFilter(parsing: filter)
            } catch {
                throw .invalidArgument("filtering rule '\(name)': \(error.message)", cause: error.cause)
            }
        case .pressure(_, let maxMessages, let periodDays):
            guard maxMessages >= 1 else {
                throw .invalidArgument("pressure rule '\(name)': max_messages must be at least 1 (got \(maxMessages))")
            }
            guard (1...Self.maxPeriodDays).contains(periodDays) else {
                throw .invalidArgument("pressure rule '\(name)': period_days must be in 1...\(Self.maxPeriodDays) (got \(periodDays))")
            }
        case .capacity(_, let maxMessages):
            guard maxMessages >= 0 else {
                throw .invalidArgument("capacity rule '\(name)': max_messages must not be negative (got \(maxMessages))")
            }
        case .controlGroup(_, .percent(let percent), _):
            guard percent.isFinite, (0...100).contains(percent) else {
                throw .invalidArgument("control group rule '\(name)': percent must be in 0...100 (got \(percent))")
            }
        case .controlGroup(_, .count(let count), _):
            guard count >= 0 else {
                throw .invalidArgument("control group rule '\(name)': count must not be negative (got \(count))")
            }
        }
    }
}
