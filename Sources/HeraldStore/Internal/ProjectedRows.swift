import GRDBSQLite
import HeraldCore

/// The projected columns of a batch of target rows as SQLite returned them (UTF-8 bytes
/// in one buffer), made into profiles on demand (``TargetProfileSource``): the reading
/// thread only copies bytes, and the preparation's rendering threads make the strings
/// and attribute dictionaries, in parallel.
final class ProjectedRows: TargetProfileSource {
    /// Where a value's bytes are in the buffer; a `count` of -1 is NULL.
    struct Span {
        var start: Int
        var count: Int
    }

    /// Gathers the projected columns of each row as the statement steps.
    struct Builder {
        private(set) var bytes: [UInt8] = []
        private(set) var spans: [Span] = []
        private(set) var rows = 0

        /// Appends the current row of `handle`: `fields` field columns then `attributes`
        /// attribute columns, from column `first`; returns the row's number.
        mutating func append(_ handle: OpaquePointer, from first: Int32, fields: Int, attributes: Int) -> Int {
            for offset in 0..<(fields + attributes) {
                let column = first + Int32(offset)
                let start = bytes.count
                if offset >= fields && sqlite3_column_type(handle, column) == SQLITE_NULL {
                    spans.append(Span(start: start, count: -1))
                    continue
                }
                if let text = sqlite3_column_text(handle, column) {
                    bytes.append(contentsOf: UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, column))))
                }
                spans.append(Span(start: start, count: bytes.count - start))
            }
            rows += 1
            return rows - 1
        }
    }

    private let fields: [ProjectedFields.Field]
    private let attributeKeys: [String]
    private let bytes: [UInt8]
    private let spans: [Span]

    /// The rows of `builder`, whose columns are `fields` (never tags: see
    /// ``ProjectedFields/readsRaw``) then the attributes `attributeKeys`.
    init(_ builder: Builder, fields: [ProjectedFields.Field], attributeKeys: [String]) {
        self.fields = fields
        self.attributeKeys = attributeKeys
        bytes = builder.bytes
        spans = builder.spans
    }

    /// What ``ProjectedFields/profile(_:from:id:email:subscription:)`` makes of the row.
    func profile(row: Int, id: String, email: String, subscription: Profile.Subscription) -> Profile {
        var profile = Profile(id: id, email: email, subscription: subscription)
        let width = fields.count + attributeKeys.count
        let first = row * width
        guard row >= 0, first + width <= spans.count else { return profile }
        bytes.withUnsafeBufferPointer { bytes in
            func text(_ span: Span) -> String {
                guard span.count > 0, let base = bytes.baseAddress else { return "" }
                return String(decoding: UnsafeBufferPointer(start: base + span.start, count: span.count), as: UTF8.self)
            }
            for (offset, field) in fields.enumerated() {
                let value = text(spans[first + offset])
                switch field {
                case .firstName: profile.firstName = value
                case .lastName: profile.lastName = value
                case .locale: profile.locale = value
                case .timeZone: profile.timeZone = value
                case .tags: break
                }
            }
            if !attributeKeys.isEmpty {
                var attributes = [String: String](minimumCapacity: attributeKeys.count)
                for (offset, key) in attributeKeys.enumerated() {
                    let span = spans[first + fields.count + offset]
                    if span.count >= 0 { attributes[key] = text(span) }
                }
                profile.attributes = attributes
            }
        }
        return profile
    }
}
