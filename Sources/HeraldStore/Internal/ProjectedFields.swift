import GRDBSQLite
import HeraldCore

/// The columns of a ``ProfileProjection`` in a targeting query, and how a row's values
/// become a ``Profile`` (the fields not read stay empty).
struct ProjectedFields {
    /// The profile fields read, in column order: their column names.
    let fieldColumns: [String]
    /// The attributes read, in column order after the fields.
    let attributeKeys: [String]
    /// `, profiles.first_name, …` (empty when nothing is read).
    let columns: String

    /// The column of a projectable field (id, email and subscription are read anyway).
    private static func column(_ field: String) -> String? {
        switch field {
        case "first_name", "last_name", "locale", "time_zone", "tags": field
        default: nil
        }
    }

    init(_ projection: ProfileProjection, _ catalog: AttributeCatalog) {
        fieldColumns = projection.fields.compactMap(Self.column).sorted()
        let attributes = catalog.keysBySlot.filter { projection.includes(attribute: $0.key) }
        attributeKeys = attributes.map(\.key)
        var columns = ""
        for column in fieldColumns { columns += ", profiles.\(column)" }
        for attribute in attributes { columns += ", profiles.\(AttributeCatalog.textColumn(attribute.slot))" }
        self.columns = columns
    }

    /// The profile of the current row of `handle`, whose projected columns start at `first`.
    func profile(
        _ handle: OpaquePointer, from first: Int32, id: String, email: String, subscription: Profile.Subscription
    ) throws -> Profile {
        var profile = Profile(id: id, email: email, subscription: subscription)
        var column = first
        for field in fieldColumns {
            switch field {
            case "first_name": profile.firstName = SQLiteStore.text(handle, column)
            case "last_name": profile.lastName = SQLiteStore.text(handle, column)
            case "locale": profile.locale = SQLiteStore.text(handle, column)
            case "time_zone": profile.timeZone = SQLiteStore.text(handle, column)
            case "tags":
                let json = SQLiteStore.text(handle, column)
                profile.tags = json == "[]" ? [] : try CompactJSON.decodeArray(json)
            default: break
            }
            column += 1
        }
        if !attributeKeys.isEmpty {
            var attributes = [String: String](minimumCapacity: attributeKeys.count)
            for key in attributeKeys {
                if sqlite3_column_type(handle, column) != SQLITE_NULL { attributes[key] = SQLiteStore.text(handle, column) }
                column += 1
            }
            profile.attributes = attributes
        }
        return profile
    }
}
