import GRDBSQLite
import HeraldCore

/// The columns of a ``ProfileProjection`` in a targeting query, and how a row's values
/// become a ``Profile`` (the fields not read stay empty).
struct ProjectedFields {
    /// A projectable profile field (id, email and subscription are read anyway).
    enum Field: String {
        case firstName = "first_name", lastName = "last_name", locale, timeZone = "time_zone", tags
    }

    /// The profile fields read, in column order (by column name).
    let fields: [Field]
    /// The attributes read, in column order after the fields.
    let attributeKeys: [String]
    /// `, profiles.first_name, …` (empty when nothing is read).
    let columns: String

    /// Whether the rows' columns can be kept as bytes (``ProjectedRows``) and made into
    /// profiles later: not when tags are read (their JSON is decoded as the row is read,
    /// so that an unreadable value fails the read).
    var readsRaw: Bool { !fields.contains(.tags) }

    init(_ projection: ProfileProjection, _ catalog: AttributeCatalog) {
        fields = projection.fields.compactMap(Field.init(rawValue:)).sorted { $0.rawValue < $1.rawValue }
        let attributes = catalog.keysBySlot.filter { projection.includes(attribute: $0.key) }
        attributeKeys = attributes.map(\.key)
        var columns = ""
        for field in fields { columns += ", profiles.\(field.rawValue)" }
        for attribute in attributes { columns += ", profiles.\(AttributeCatalog.textColumn(attribute.slot))" }
        self.columns = columns
    }

    /// The profile of the current row of `handle`, whose projected columns start at `first`.
    func profile(
        _ handle: OpaquePointer, from first: Int32, id: String, email: String, subscription: Profile.Subscription
    ) throws -> Profile {
        var profile = Profile(id: id, email: email, subscription: subscription)
        var column = first
        for field in fields {
            switch field {
            case .firstName: profile.firstName = SQLiteStore.text(handle, column)
            case .lastName: profile.lastName = SQLiteStore.text(handle, column)
            case .locale: profile.locale = SQLiteStore.text(handle, column)
            case .timeZone: profile.timeZone = SQLiteStore.text(handle, column)
            case .tags:
                if sqlite3_column_bytes(handle, column) != 2 || SQLiteStore.text(handle, column) != "[]" {
                    profile.tags = try CompactJSON.decodeArray(SQLiteStore.text(handle, column))
                }
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
