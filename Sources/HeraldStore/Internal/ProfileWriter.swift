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

    /// The fixed columns written by both insert and update, in binding order.
    private static let fixedColumns = ["email", "first_name", "last_name", "locale", "time_zone", "subscription", "updated_at", "tags"]

    init(_ db: Database) throws {
        self.db = db
        catalog = try AttributeCatalog.load(db)
        (insertProfile, updateProfile) = try Self.prepareRowStatements(db, catalog)
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

    /// Inserts or replaces `profile`; returns whether it was created.
    ///
    /// Throws ``HeraldError/Code/resourceExhausted`` before writing anything when the
    /// profile brings a new attribute key beyond ``AttributeCatalog/maxKeys``.
    mutating func upsert(_ profile: Profile, at time: Timestamp) throws -> Bool {
        let tagsJSON = CompactJSON.encode(profile.tags)
        let micros = time.microsecondsSinceEpoch
        var (next, found) = try bindRow(insertProfile, profile, micros, tagsJSON)
        if found < profile.attributes.count {
            // A key without columns yet: add them (or refuse the row before writing it),
            // then bind again. The statements follow the catalog even when a key is refused.
            var refusal: (any Error)? = nil
            for key in profile.attributes.keys where catalog.slots[key] == nil {
                do { try catalog.add(key, db) } catch { refusal = error; break }
            }
            (insertProfile, updateProfile) = try Self.prepareRowStatements(db, catalog)
            if let refusal { throw refusal }
            (next, _) = try bindRow(insertProfile, profile, micros, tagsJSON)
        }
        try insertProfile.bind(next, profile.id)
        try insertProfile.bind(next + 1, micros)
        try insertProfile.run()
        if db.changesCount == 1 {
            let pk = db.lastInsertedRowID
            for tag in profile.tags { try add(tag: tag, pk) }
            return true
        }
        guard let row = try Row.fetchOne(selectExisting, arguments: [profile.id]) else {
            throw HeraldError.internal("profile '\(profile.id)' vanished during its upsert")
        }
        let pk: Int64 = row[0]
        let oldTags = try CompactJSON.decodeArray(row[1])
        let (last, _) = try bindRow(updateProfile, profile, micros, tagsJSON)
        try updateProfile.bind(last, pk)
        try updateProfile.run()
        try replaceTags(pk: pk, old: oldTags, new: profile.tags)
        return false
    }

    /// Binds the fixed columns and every attribute column; returns the next parameter
    /// index and how many of the profile's attributes have columns.
    private func bindRow(
        _ statement: RawStatement, _ profile: Profile, _ micros: Int64, _ tagsJSON: String
    ) throws -> (next: Int32, found: Int) {
        try statement.bind(1, profile.email)
        try statement.bind(2, profile.firstName)
        try statement.bind(3, profile.lastName)
        try statement.bind(4, profile.locale)
        try statement.bind(5, profile.timeZone)
        try statement.bind(6, profile.subscription.rawValue)
        try statement.bind(7, micros)
        try statement.bind(8, tagsJSON)
        var index: Int32 = 9
        var found = 0
        for (key, _) in catalog.keysBySlot {
            if let value = profile.attributes[key] {
                found += 1
                try statement.bind(index, value)
                try statement.bind(index + 1, AudienceNumber.parse(value))
            } else {
                try statement.bindNull(index)
                try statement.bindNull(index + 1)
            }
            index += 2
        }
        return (index, found)
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
