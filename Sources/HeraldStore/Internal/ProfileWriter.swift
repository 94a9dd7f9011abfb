internal import GRDB
import HeraldCore

/// Writes validated, normalized profiles inside one write transaction, keeping the
/// `profiles` row and its `profile_tags`/`profile_attributes` rows in step.
struct ProfileWriter {
    private let db: Database
    private let insertProfile: Statement
    private let selectExisting: Statement
    private let updateProfile: Statement
    private let insertTag: Statement
    private let deleteTag: Statement
    private let insertAttribute: Statement
    private let deleteAttribute: Statement

    init(_ db: Database) throws {
        self.db = db
        insertProfile = try db.cachedStatement(sql: """
            INSERT INTO profiles (id, email, first_name, last_name, locale, time_zone, subscription,
                                  created_at, updated_at, tags, attributes)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING
            """)
        selectExisting = try db.cachedStatement(sql: "SELECT pk, tags, attributes FROM profiles WHERE id = ?")
        updateProfile = try db.cachedStatement(sql: """
            UPDATE profiles SET email = ?, first_name = ?, last_name = ?, locale = ?, time_zone = ?,
                                subscription = ?, updated_at = ?, tags = ?, attributes = ?
            WHERE pk = ?
            """)
        insertTag = try db.cachedStatement(sql: "INSERT INTO profile_tags (tag, profile_pk) VALUES (?, ?)")
        deleteTag = try db.cachedStatement(sql: "DELETE FROM profile_tags WHERE tag = ? AND profile_pk = ?")
        insertAttribute = try db.cachedStatement(
            sql: "INSERT INTO profile_attributes (key, value, profile_pk, num) VALUES (?, ?, ?, ?)"
        )
        deleteAttribute = try db.cachedStatement(
            sql: "DELETE FROM profile_attributes WHERE key = ? AND value = ? AND profile_pk = ?"
        )
    }

    /// Inserts or replaces `profile`; returns whether it was created.
    func upsert(_ profile: Profile, at time: Timestamp) throws -> Bool {
        let tagsJSON = CompactJSON.encode(profile.tags)
        let attributesJSON = CompactJSON.encode(profile.attributes)
        let micros = time.microsecondsSinceEpoch
        insertProfile.setUncheckedArguments([
            profile.id, profile.email, profile.firstName, profile.lastName, profile.locale, profile.timeZone,
            profile.subscription.rawValue, micros, micros, tagsJSON, attributesJSON,
        ])
        try insertProfile.execute()
        if db.changesCount == 1 {
            let pk = db.lastInsertedRowID
            for tag in profile.tags { try add(tag: tag, pk) }
            for (key, value) in profile.attributes { try add(key: key, value: value, pk) }
            return true
        }
        guard let row = try Row.fetchOne(selectExisting, arguments: [profile.id]) else {
            throw HeraldError.internal("profile '\(profile.id)' vanished during its upsert")
        }
        let pk: Int64 = row[0]
        let oldTags = try CompactJSON.decodeArray(row[1])
        let oldAttributes = try CompactJSON.decodeObject(row[2])
        updateProfile.setUncheckedArguments([
            profile.email, profile.firstName, profile.lastName, profile.locale, profile.timeZone,
            profile.subscription.rawValue, micros, tagsJSON, attributesJSON, pk,
        ])
        try updateProfile.execute()
        try replaceSideRows(pk: pk, oldTags: oldTags, newTags: profile.tags,
                            oldAttributes: oldAttributes, newAttributes: profile.attributes)
        return false
    }

    /// Deletes the side rows of the profile with this pk, given its stored tags and attributes.
    func removeSideRows(pk: Int64, tags: [String], attributes: [String: String]) throws {
        try replaceSideRows(pk: pk, oldTags: tags, newTags: [], oldAttributes: attributes, newAttributes: [:])
    }

    private func replaceSideRows(
        pk: Int64, oldTags: [String], newTags: [String], oldAttributes: [String: String], newAttributes: [String: String]
    ) throws {
        let oldTagKeys = Set(oldTags.map { Array($0.utf8) }), newTagKeys = Set(newTags.map { Array($0.utf8) })
        for tag in oldTags where !newTagKeys.contains(Array(tag.utf8)) {
            deleteTag.setUncheckedArguments([tag, pk])
            try deleteTag.execute()
        }
        for tag in newTags where !oldTagKeys.contains(Array(tag.utf8)) { try add(tag: tag, pk) }
        for (key, value) in oldAttributes {
            if let new = newAttributes[key], new.utf8.elementsEqual(value.utf8) { continue }
            deleteAttribute.setUncheckedArguments([key, value, pk])
            try deleteAttribute.execute()
        }
        for (key, value) in newAttributes {
            if let old = oldAttributes[key], old.utf8.elementsEqual(value.utf8) { continue }
            try add(key: key, value: value, pk)
        }
    }

    private func add(tag: String, _ pk: Int64) throws {
        insertTag.setUncheckedArguments([tag, pk])
        try insertTag.execute()
    }

    private func add(key: String, value: String, _ pk: Int64) throws {
        insertAttribute.setUncheckedArguments([key, value, pk, AudienceNumber.parse(value)])
        try insertAttribute.execute()
    }
}
