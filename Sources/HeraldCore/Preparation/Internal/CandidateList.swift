/// The profiles that passed the address checks, in profile id order, as parallel arrays:
/// about 100 bytes a profile (the id and address strings, a store key, a hash and the
/// per-rule facts), never the profiles themselves.
struct CandidateList {
    var keys: [Int64] = []
    var ids: [String] = []
    var emails: [String] = []
    /// ``Mix/hash(_:)`` of the id, for control groups.
    var idHashes: [UInt64] = []
    /// Bit `i` is set when typology rule `i` applies to the profile: a filtering rule's
    /// filter matches it, or a pressure rule's limit is reached.
    var ruleBits: [UInt64] = []
    /// 0 while kept, else the raw value of the ``ExclusionCause`` that excluded it.
    var causes: [UInt8] = []
    /// The size of the profile's message when it was rendered as it was targeted (-1 when
    /// its rendering failed: see ``renderFailures``); empty when messages were not rendered.
    var sizes: [Int32] = []
    /// Why the rendering of a candidate's message failed, by candidate index.
    var renderFailures: [Int: String] = [:]

    var count: Int { ids.count }

    mutating func append(key: Int64, id: String, email: String, ruleBits: UInt64) {
        keys.append(key)
        ids.append(id)
        emails.append(email)
        idHashes.append(Mix.hash(id))
        self.ruleBits.append(ruleBits)
        causes.append(0)
    }

    func isKept(_ index: Int) -> Bool { causes[index] == 0 }

    /// Reserves room for `count` candidates.
    mutating func reserveCapacity(_ count: Int) {
        keys.reserveCapacity(count)
        ids.reserveCapacity(count)
        emails.reserveCapacity(count)
        idHashes.reserveCapacity(count)
        ruleBits.reserveCapacity(count)
        causes.reserveCapacity(count)
    }
}
