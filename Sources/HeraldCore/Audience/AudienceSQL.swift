/// An audience filter compiled to a parameterized SQLite `WHERE` clause.
///
/// The clause reads the relational profile schema that HeraldStore creates:
/// ```
/// profiles(pk INTEGER PRIMARY KEY, id TEXT, email TEXT, first_name TEXT, last_name TEXT,
///          locale TEXT, time_zone TEXT, subscription TEXT,   -- "SUBSCRIBED", …
///          created_at INTEGER, updated_at INTEGER,           -- microseconds since epoch
///          tags TEXT)                                        -- JSON array, "[]" when none
/// profile_tags(tag TEXT, profile_pk INTEGER)                 -- one row per distinct tag
/// profile_attributes(key TEXT, value TEXT, num REAL, profile_pk INTEGER)
///                                                            -- num = AudienceNumber.parse(value)
/// ```
/// Use it as `SELECT … FROM profiles WHERE <clause>`, binding ``arguments`` in order to
/// the `?` placeholders. Filter values only ever appear as arguments, never in the text.
public struct AudienceSQL: Hashable, Sendable {
    /// A value bound to one `?` placeholder.
    public enum Argument: Hashable, Sendable {
        /// A TEXT value.
        case text(String)
        /// An INTEGER value.
        case integer(Int64)
        /// A REAL value.
        case real(Double)
    }

    /// The boolean SQL expression, with `?` placeholders.
    public var clause: String
    /// The values of the placeholders, in order.
    public var arguments: [Argument]

    /// Creates a compiled clause.
    public init(clause: String, arguments: [Argument]) {
        self.clause = clause
        self.arguments = arguments
    }
}
