/// An audience filter compiled to a parameterized SQLite `WHERE` clause.
///
/// The clause reads the profile schema that HeraldStore creates:
/// ```
/// profiles(pk INTEGER PRIMARY KEY, id TEXT, email TEXT, first_name TEXT, last_name TEXT,
///          locale TEXT, time_zone TEXT, subscription TEXT,   -- "SUBSCRIBED", …
///          created_at INTEGER, updated_at INTEGER,           -- microseconds since epoch
///          tags TEXT,                                        -- JSON array, "[]" when none
///          <text column> TEXT, <number column> REAL, …)      -- per attribute key, see below
/// profile_tags(tag TEXT, profile_pk INTEGER)                 -- one row per distinct tag
/// ```
/// Each attribute key has two columns in `profiles`, named by the store
/// (``AttributeColumns``): the value as TEXT (NULL when the profile lacks the key) and
/// ``AudienceNumber/parse(_:)`` of it as REAL (NULL when absent or not numeric).
///
/// Use it as `SELECT … FROM profiles WHERE <clause>`, binding ``arguments`` in order to
/// the `?` placeholders. Filter values only ever appear as arguments, never in the text;
/// the only names in the text are the fixed ones above and the store's column names.
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

    /// The columns of `profiles` holding one attribute key.
    public struct AttributeColumns: Hashable, Sendable {
        /// The TEXT column with the value.
        public var text: String
        /// The REAL column with the numeric value.
        public var number: String

        /// Creates a pair of column names; each must be an SQL identifier made of ASCII
        /// letters, digits and `_`, not starting with a digit.
        public init(text: String, number: String) {
            self.text = text
            self.number = number
        }
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
