extension Delivery {
    /// The hex SHA-256 of what a preparation depends on: the content, the audience, the
    /// typology rules, the schedule and whether tracking is on (the name, the state and
    /// the rate limit are left out).
    ///
    /// A preparation stores it in ``PreparationSummary/snapshotHash``; a delivery whose
    /// hash differs has changed since (stale) and must not be sent.
    public var snapshotHash: String {
        var encoder = CanonicalEncoder()
        encoder.string("herald.snapshot.v1")
        encoder.string(content.subject)
        encoder.string(content.sender.name)
        encoder.string(content.sender.address)
        encoder.string(content.replyTo)
        encoder.string(content.htmlBody)
        encoder.optional(content.textBody) { $0.string($1) }
        encoder.string(audience.filter)
        encoder.optional(schedule.sendTime) { $0.integer($1.microsecondsSinceEpoch) }
        encoder.optional(schedule.validUntil) { $0.integer($1.microsecondsSinceEpoch) }
        encoder.integer(Int64(typology.rules.count))
        for rule in typology.rules {
            switch rule {
            case .filtering(let name, let filter):
                encoder.string("filtering")
                encoder.string(name)
                encoder.string(filter)
            case .pressure(let name, let maxMessages, let periodDays):
                encoder.string("pressure")
                encoder.string(name)
                encoder.integer(Int64(maxMessages))
                encoder.integer(Int64(periodDays))
            case .capacity(let name, let maxMessages):
                encoder.string("capacity")
                encoder.string(name)
                encoder.integer(Int64(maxMessages))
            case .controlGroup(let name, let size, let seed):
                encoder.string("control_group")
                encoder.string(name)
                switch size {
                case .percent(let percent):
                    encoder.string("percent")
                    encoder.integer(Int64(bitPattern: percent.bitPattern))
                case .count(let count):
                    encoder.string("count")
                    encoder.integer(Int64(count))
                }
                encoder.integer(Int64(bitPattern: seed))
            }
        }
        encoder.integer(trackingEnabled ? 1 : 0)
        return SHA256.hex(encoder.bytes)
    }
}

/// An unambiguous byte encoding: every string is length-prefixed, every optional tagged.
private struct CanonicalEncoder {
    var bytes: [UInt8] = []

    mutating func integer(_ value: Int64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> Int64(shift))) }
    }

    mutating func string(_ value: String) {
        integer(Int64(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }

    mutating func optional<T>(_ value: T?, _ body: (inout CanonicalEncoder, T) -> Void) {
        if let value {
            bytes.append(1)
            body(&self, value)
        } else {
            bytes.append(0)
        }
    }
}
