internal import GRDB
import HeraldCore

/// Writes validated, normalized profiles inside one write transaction, keeping the
/// `profiles` row, its attribute columns and its `profile_tags` rows in step.
struct ProfileWriter {
    private let db: Database
    private var catalog: AttributeCatalog
    private var insertProfile: RawStatement
    private var updateProfile: RawStatement
    private let selectExisting: Statement
    private let insertTag: RawStatement
    private let deleteTag: RawStatement
    /// The index in `keysBySlot` (the binding order) of each key.
    private var positions: [String: Int]
    /// The position of each key of the current batch (see ``begin(_:)``), -1 for a key
    /// without columns yet.
    private var keyPositions: [Int] = []
    /// For the row being written: the index in the batch's attributes of the value of
    /// each position, -1 for none; and the positions the row set (to clear them after).
    private var attributeAtPosition: [Int] = []
    private var positionOfAttribute: [Int] = []

    /// The fixed columns written by both insert and update, in binding order.
    private static let fixedColumns = ["email", "first_name", "last_name", "locale", "time_zone", "subscription", "updated_at", "tags"]

    init(_ db: Database) throws {
        self.db = db
        catalog = try AttributeCatalog.load(db)
        (insertProfile, updateProfile) = try Self.prepareRowStatements(db, catalog)
        positions = Self.positions(catalog)
        attributeAtPosition = Array(repeating: -1, count: catalog.keysBySlot.count)
        selectExisting = try db.cachedStatement(sql: "SELECT pk, tags FROM profiles WHERE id = ?")
        insertTag = RawStatement(try db.cachedStatement(sql: "INSERT INTO profile_tags (tag, profile_pk) VALUES (?, ?)"))
        deleteTag = RawStatement(try db.cachedStatement(sql: "DELETE FROM profile_tags WHERE tag = ? AND profile_pk = ?"))
    }

    private static func prepareRowStatements(_ db: Database, _ catalog: AttributeCatalog) throws -> (RawStatement, RawStatement) {
        var columns = fixedColumns
        for (_, slot) in catalog.keysBySlot {
            columns.append(AttributeCatalog.textColumn(slot))
            columns.append(AttributeCatalog.numberColumn(slot))
        }
        let placeholders = Array(repeating: "?", count: columns.count + 2).joined(separator: ", ")
        let insert = try db.cachedStatement(sql: """
            INSERT INTO profiles (\(columns.joined(separator: ", ")), id, created_at) VALUES (\(placeholders))
            ON CONFLICT (id) DO NOTHING
            """)
        let update = try db.cachedStatement(sql: """
            UPDATE profiles SET \(columns.map { "\($0) = ?" }.joined(separator: ", ")) WHERE pk = ?
            """)
        return (RawStatement(insert), RawStatement(update))
    }

    /// Maps the attribute keys of `batch` to their columns: call before writing its rows.
    mutating func begin(_ batch: PreparedProfiles) {
        keyPositions = batch.keys.map { positions[$0] ?? -1 }
    }

    /// Inserts or replaces row `index` of `batch` (whose bytes start at `base`, valid
    /// until ``finish()``; ``begin(_:)`` called for the batch). Returns whether it was created.
    ///
    /// Throws ``HeraldError/Code/resourceExhausted`` before writing anything when the
    /// profile brings a new attribute key beyond ``AttributeCatalog/maxKeys``.
    mutating func upsert(
        _ batch: PreparedProfiles, _ index: Int, _ base: UnsafePointer<UInt8>, at micros: Int64
    ) throws -> Bool {
        let row = batch.rows[index]
        if !mapAttributes(batch, row) {
            // A key without columns yet: add them (or refuse the row before writing it).
            // The statements follow the catalog even when a key is refused.
            var refusal: (any Error)? = nil
            for i in row.attributes where keyPositions[Int(batch.attributes[Int(i)].key)] < 0 {
                let key = batch.keys[Int(batch.attributes[Int(i)].key)]
                do { try catalog.add(key, db) } catch { refusal = error; break }
            }
            (insertProfile, updateProfile) = try Self.prepareRowStatements(db, catalog)
            positions = Self.positions(catalog)
            attributeAtPosition = Array(repeating: -1, count: catalog.keysBySlot.count)
            begin(batch)
            if let refusal { throw refusal }
            _ = mapAttributes(batch, row)
        }
        defer { for p in positionOfAttribute { attributeAtPosition[p] = -1 } }

        let next = try bindRow(insertProfile, batch, row, base, micros)
        try insertProfile.bindStatic(next, base + Int(row.id.start), row.id.count)
        try insertProfile.bind(next + 1, micros)
        try insertProfile.run()
        if db.changesCount == 1 {
            let pk = db.lastInsertedRowID
            for t in row.tags {
                let span = batch.tagSpans[Int(t)]
                try insertTag.bindStatic(1, base + Int(span.start), span.count)
                try insertTag.bind(2, pk)
                try insertTag.run()
            }
            return true
        }
        let id = String(decoding: UnsafeBufferPointer(start: base + Int(row.id.start), count: Int(row.id.count)), as: UTF8.self)
        guard let existing = try Row.fetchOne(selectExisting, arguments: [id]) else {
            throw HeraldError.internal("profile '\(id)' vanished during its upsert")
        }
        let pk: Int64 = existing[0]
        let oldTags = try CompactJSON.decodeArray(existing[1])
        let last = try bindRow(updateProfile, batch, row, base, micros)
        try updateProfile.bind(last, pk)
        try updateProfile.run()
        let tags = row.tags.map { t in
            let span = batch.tagSpans[Int(t)]
            return String(decoding: UnsafeBufferPointer(start: base + Int(span.start), count: Int(span.count)), as: UTF8.self)
        }
        try replaceTags(pk: pk, old: oldTags, new: tags)
        return false
    }

    /// Unbinds the statements that point into a batch's bytes; call before they are freed.
    func finish() {
        insertProfile.clearBindings()
        updateProfile.clearBindings()
        insertTag.clearBindings()
    }

    /// Fills ``attributeAtPosition`` (and ``positionOfAttribute``) for `row`; false when
    /// a key has no columns yet (nothing is left set then).
    private mutating func mapAttributes(_ batch: PreparedProfiles, _ row: PreparedProfiles.Row) -> Bool {
        positionOfAttribute.removeAll(keepingCapacity: true)
        for i in row.attributes {
            let position = keyPositions[Int(batch.attributes[Int(i)].key)]
            guard position >= 0 else {
                for p in positionOfAttribute { attributeAtPosition[p] = -1 }
                positionOfAttribute.removeAll(keepingCapacity: true)
                return false
            }
            attributeAtPosition[position] = Int(i)
            positionOfAttribute.append(position)
        }
        return true
    }

    /// Binds the fixed columns and every attribute column; returns the next parameter index.
    private func bindRow(
        _ statement: RawStatement, _ batch: PreparedProfiles, _ row: PreparedProfiles.Row, _ base: UnsafePointer<UInt8>,
        _ micros: Int64
    ) throws -> Int32 {
        try statement.bindStatic(1, base + Int(row.email.start), row.email.count)
        try statement.bindStatic(2, base + Int(row.firstName.start), row.firstName.count)
        try statement.bindStatic(3, base + Int(row.lastName.start), row.lastName.count)
        try statement.bindStatic(4, base + Int(row.locale.start), row.locale.count)
        try statement.bindStatic(5, base + Int(row.timeZone.start), row.timeZone.count)
        try statement.bindStatic(6, base + Int(row.subscription.start), row.subscription.count)
        try statement.bind(7, micros)
        try statement.bindStatic(8, base + Int(row.tagsJSON.start), row.tagsJSON.count)
        var index: Int32 = 9
        for a in attributeAtPosition {
            if a >= 0 {
                let attribute = batch.attributes[a]
                try statement.bindStatic(index, base + Int(attribute.value.start), attribute.value.count)
                try statement.bind(index + 1, attribute.number)
            } else {
                try statement.bindNull(index)
                try statement.bindNull(index + 1)
            }
            index += 2
        }
        return index
    }

    private static func positions(_ catalog: AttributeCatalog) -> [String: Int] {
        var positions: [String: Int] = [:]
        for (position, entry) in catalog.keysBySlot.enumerated() { positions[entry.key] = position }
        return positions
    }

    /// Deletes the tag rows of the profile with this pk, given its stored tags.
    func removeTags(pk: Int64, tags: [String]) throws {
        try replaceTags(pk: pk, old: tags, new: [])
    }

    private func replaceTags(pk: Int64, old: [String], new: [String]) throws {
        let oldKeys = Set(old.map { Array($0.utf8) }), newKeys = Set(new.map { Array($0.utf8) })
        for tag in old where !newKeys.contains(Array(tag.utf8)) {
            try deleteTag.bind(1, tag)
            try deleteTag.bind(2, pk)
            try deleteTag.run()
        }
        for tag in new where !oldKeys.contains(Array(tag.utf8)) { try add(tag: tag, pk) }
    }

    private func add(tag: String, _ pk: Int64) throws {
        try insertTag.bind(1, tag)
        try insertTag.bind(2, pk)
        try insertTag.run()
    }
}
