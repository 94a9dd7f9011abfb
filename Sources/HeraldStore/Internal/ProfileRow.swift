internal import GRDB
import HeraldCore

/// Reads profiles from `SELECT \(ProfileRow.columns) FROM profiles …` rows.
enum ProfileRow {
    static let columns = """
        profiles.id, profiles.email, profiles.first_name, profiles.last_name, profiles.locale, \
        profiles.time_zone, profiles.subscription, profiles.created_at, profiles.updated_at, \
        profiles.tags, profiles.attributes
        """

    static func decode(_ row: Row) throws -> Profile {
        let subscriptionText: String = row[6]
        guard let subscription = Profile.Subscription(rawValue: subscriptionText) else {
            throw HeraldError.internal("stored profile has an unknown subscription '\(subscriptionText)'")
        }
        return Profile(
            id: row[0], email: row[1], firstName: row[2], lastName: row[3], locale: row[4], timeZone: row[5],
            tags: try CompactJSON.decodeArray(row[9]),
            attributes: try CompactJSON.decodeObject(row[10]),
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
