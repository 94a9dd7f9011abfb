import GRDBSQLite
internal import GRDB
import HeraldCore

/// Reads profiles from `SELECT <columns(catalog)> FROM profiles …` rows.
enum ProfileRow {
    static func columns(_ catalog: AttributeCatalog) -> String {
        var columns = [
            "profiles.id", "profiles.email", "profiles.first_name", "profiles.last_name", "profiles.locale",
            "profiles.time_zone", "profiles.subscription", "profiles.created_at", "profiles.updated_at", "profiles.tags",
        ]
        for (_, slot) in catalog.keysBySlot { columns.append("profiles.\(AttributeCatalog.textColumn(slot))") }
        return columns.joined(separator: ", ")
    }

    /// The current row of a statement selecting `columns(catalog)` (and possibly more
    /// columns after them), read through the SQLite C API; `attributeKeys` are the
    /// catalog's keys by slot.
    static func decode(_ handle: OpaquePointer, _ attributeKeys: [String]) throws -> Profile {
        let subscriptionText = SQLiteStore.text(handle, 6)
        guard let subscription = Profile.Subscription(rawValue: subscriptionText) else {
            throw HeraldError.internal("stored profile has an unknown subscription '\(subscriptionText)'")
        }
        var attributes = [String: String](minimumCapacity: attributeKeys.count)
        for (offset, key) in attributeKeys.enumerated() where sqlite3_column_type(handle, Int32(10 + offset)) != SQLITE_NULL {
            attributes[key] = SQLiteStore.text(handle, Int32(10 + offset))
        }
        let tagsJSON = SQLiteStore.text(handle, 9)
        return Profile(
            id: SQLiteStore.text(handle, 0), email: SQLiteStore.text(handle, 1), firstName: SQLiteStore.text(handle, 2),
            lastName: SQLiteStore.text(handle, 3), locale: SQLiteStore.text(handle, 4), timeZone: SQLiteStore.text(handle, 5),
            tags: tagsJSON == "[]" ? [] : try CompactJSON.decodeArray(tagsJSON),
            attributes: attributes,
            subscription: subscription,
            createdAt: Timestamp(microsecondsSinceEpoch: sqlite3_column_int64(handle, 7)),
            updatedAt: Timestamp(microsecondsSinceEpoch: sqlite3_column_int64(handle, 8))
        )
    }

    static func decode(_ row: Row, _ catalog: AttributeCatalog) throws -> Profile {
        let subscriptionText: String = row[6]
        guard let subscription = Profile.Subscription(rawValue: subscriptionText) else {
            throw HeraldError.internal("stored profile has an unknown subscription '\(subscriptionText)'")
        }
        var attributes: [String: String] = [:]
        for (offset, entry) in catalog.keysBySlot.enumerated() {
            if let value: String = row[10 + offset] { attributes[entry.key] = value }
        }
        return Profile(
            id: row[0], email: row[1], firstName: row[2], lastName: row[3], locale: row[4], timeZone: row[5],
            tags: try CompactJSON.decodeArray(row[9]),
            attributes: attributes,
            subscription: subscription,
            createdAt: Timestamp(microsecondsSinceEpoch: row[7]),
            updatedAt: Timestamp(microsecondsSinceEpoch: row[8])
        )
    }
}

extension AudienceSQL.Argument {
    var databaseValue: DatabaseValue {
        switch self {
        case .text(let s): s.databaseValue
        case .integer(let i): i.databaseValue
        case .real(let d): d.databaseValue
        }
    }
}

extension AudienceSQL {
    var statementArguments: StatementArguments {
        StatementArguments(arguments.map(\.databaseValue))
    }
}
