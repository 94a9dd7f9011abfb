import HeraldCore

/// A batch of validated, normalized profiles turned into bind-ready values before the
/// write transaction: every text as UTF-8 bytes in one buffer (bound with
/// `SQLITE_STATIC`, no copy or allocation per value), the tags JSON encoded, each
/// attribute's number parsed, attribute keys numbered once per batch (the writer maps a
/// key number to its column once per batch, not a key string per row). Built outside the
/// single writer, so that this work runs beside the write of another batch.
struct PreparedProfiles: Sendable {
    /// A range of ``bytes``.
    struct Span: Sendable {
        var start: Int32
        var count: Int32
    }

    /// One attribute of a row: its key (an index in ``keys``), its text and
    /// ``AudienceNumber/parse(_:)`` of it.
    struct Attribute: Sendable {
        var key: Int32
        var value: Span
        var number: Double?
    }

    /// One profile's values; `tags` and `attributes` index ``tagSpans`` and ``attributes``.
    struct Row: Sendable {
        var id, email, firstName, lastName, locale, timeZone, subscription, tagsJSON: Span
        var tags: Range<Int32>
        var attributes: Range<Int32>
    }

    /// Every text of the batch, UTF-8, followed by one NUL byte (so that no span, even
    /// an empty one at the end, points outside the buffer).
    private(set) var bytes: [UInt8] = []
    private(set) var rows: [Row] = []
    private(set) var tagSpans: [Span] = []
    private(set) var attributes: [Attribute] = []
    /// The distinct attribute keys of the batch, in order of first appearance.
    private(set) var keys: [String] = []
    /// The index of each key in ``keys``, once there are too many for a linear search.
    private var keyIndex: [String: Int32] = [:]

    init(_ profiles: [Profile]) {
        rows.reserveCapacity(profiles.count)
        bytes.reserveCapacity(profiles.count * 200)
        for profile in profiles {
            let id = append(profile.id), email = append(profile.email)
            let firstName = append(profile.firstName), lastName = append(profile.lastName)
            let locale = append(profile.locale), timeZone = append(profile.timeZone)
            let subscription = append(profile.subscription.rawValue)
            let tagsJSON = appendJSON(profile.tags)
            let firstTag = Int32(tagSpans.count)
            for tag in profile.tags { tagSpans.append(append(tag)) }
            let firstAttribute = Int32(attributes.count)
            for (key, value) in profile.attributes {
                attributes.append(Attribute(key: number(key), value: append(value), number: AudienceNumber.parse(value)))
            }
            rows.append(Row(
                id: id, email: email, firstName: firstName, lastName: lastName, locale: locale, timeZone: timeZone,
                subscription: subscription, tagsJSON: tagsJSON,
                tags: firstTag..<Int32(tagSpans.count), attributes: firstAttribute..<Int32(attributes.count)
            ))
        }
        bytes.append(0)
    }

    /// The index of `key` in ``keys``, adding it when new. Batches usually share a few
    /// keys: a linear search over short (inline) strings beats hashing.
    private mutating func number(_ key: String) -> Int32 {
        if keys.count <= 16 {
            if let found = keys.firstIndex(of: key) { return Int32(found) }
        } else if let found = keyIndex[key] {
            return found
        }
        keys.append(key)
        if keys.count == 17 {
            for (index, key) in keys.enumerated() { keyIndex[key] = Int32(index) }
        } else if keys.count > 17 {
            keyIndex[key] = Int32(keys.count - 1)
        }
        return Int32(keys.count - 1)
    }

    private mutating func append(_ text: String) -> Span {
        let start = Int32(bytes.count)
        bytes.append(contentsOf: text.utf8)
        return Span(start: start, count: Int32(bytes.count) - start)
    }

    private mutating func appendJSON(_ tags: [String]) -> Span {
        let start = Int32(bytes.count)
        CompactJSON.append(tags, to: &bytes)
        return Span(start: start, count: Int32(bytes.count) - start)
    }
}
