/// A parsed and type-checked audience filter.
///
/// ## Grammar
/// ```
/// filter     := ε | or
/// or         := and ( OR and )*
/// and        := unary ( AND unary )*
/// unary      := NOT unary | '(' or ')' | predicate
/// predicate  := field ( ('=' | '!=' | '<' | '<=' | '>' | '>=') value
///                     | [NOT] IN '(' value ( ',' value )* ')'
///                     | HAS value | CONTAINS value
///                     | STARTS WITH value | ENDS WITH value | EXISTS )
/// field      := id | email | first_name | last_name | locale | time_zone
///             | subscription | created_at | updated_at | tags | attributes.KEY
/// value      := STRING | NUMBER | TRUE | FALSE
/// STRING     := "…" | '…'   escapes \" \' \\ \/ \n \t \r \uXXXX (surrogate pairs joined)
/// NUMBER     := -?[0-9]+(.[0-9]+)?([eE][+-]?[0-9]+)?
/// ```
/// Keywords are case-insensitive; field names and attribute keys are case-sensitive.
/// `NOT` binds tighter than `AND`, which binds tighter than `OR`. An unqualified name
/// that is not a profile field is an error (`unknown field 'country' at 1:1; did you
/// mean attributes.country?`).
///
/// ## Typing
/// - String fields (`id`, `email`, `first_name`, `last_name`, `locale`, `time_zone`):
///   comparisons and `IN` with strings, `CONTAINS`, `STARTS WITH`, `ENDS WITH`; `EXISTS`
///   means "not empty". Strings compare by Unicode scalars (UTF-8 bytes), case-sensitive.
/// - `subscription`: `=`, `!=`, `IN` with `"SUBSCRIBED"`, `"UNSUBSCRIBED"`, `"DENYLISTED"`
///   (case-insensitive).
/// - `created_at`, `updated_at`: comparisons with an RFC 3339 string, a date
///   (`"2024-05-01"`, midnight UTC) or a number of Unix seconds.
/// - `tags`: `HAS "x"`, and `EXISTS` (at least one tag).
/// - `attributes.KEY` (values are strings): with a string, compares as strings; with a
///   number, true only when the value is numeric (``AudienceNumber``) and compares
///   numerically; `= true`/`= false` compare with the strings `"true"`/`"false"`;
///   `IN (…)` is an `OR` of `=`; `CONTAINS`/`STARTS WITH`/`ENDS WITH`; `EXISTS`. Every
///   condition on a missing attribute is false (`!=` too), so `NOT (a = "x")` matches
///   profiles without `a` but `a != "x"` does not.
/// - `x NOT IN (…)` means `NOT (x IN (…))`.
///
/// ## Limits
/// At most ``maxLength`` bytes, ``maxDepth`` levels of parentheses and `NOT`, and
/// ``maxTerms`` conditions and values; NUL characters are refused. Violations, like
/// syntax and typing errors, are ``HeraldError/Code/invalidArgument`` errors whose
/// cause is an ``AudienceFilterError`` naming the line and column.
public struct AudienceFilter: Hashable, Sendable, CustomStringConvertible {
    /// The longest accepted filter, in UTF-8 bytes (64 KiB).
    public static let maxLength = 65_536
    /// The deepest accepted nesting of parentheses and `NOT`.
    public static let maxDepth = 256
    /// The most conditions plus `IN` values a filter may hold.
    public static let maxTerms = 4_096

    /// The filter text as given.
    public let source: String
    /// The syntax tree.
    public let expression: AudienceExpression

    /// A filter that matches every profile.
    public static let all = AudienceFilter(source: "", expression: .all)

    private init(source: String, expression: AudienceExpression) {
        self.source = source
        self.expression = expression
    }

    /// Parses and type-checks `source`. An empty or blank filter matches every profile.
    ///
    /// - Throws: ``HeraldError`` with code ``HeraldError/Code/invalidArgument`` and an
    ///   ``AudienceFilterError`` as its cause.
    public init(parsing source: String) throws(HeraldError) {
        do throws(AudienceFilterError) {
            let length = source.utf8.count
            guard length <= Self.maxLength else {
                throw AudienceFilterError(
                    reason: "the filter is longer than \(Self.maxLength) bytes (\(length))", line: 1, column: 1, offset: 0
                )
            }
            var lexer = Lexer(source)
            var parser = Parser(tokens: try lexer.tokenize(), maxDepth: Self.maxDepth, maxTerms: Self.maxTerms)
            self.init(source: source, expression: try parser.parse())
        } catch {
            throw HeraldError(code: .invalidArgument, message: error.description, cause: error)
        }
    }

    /// Whether the filter matches every profile.
    public var matchesAll: Bool { expression == .all }

    /// The source text.
    public var description: String { source }
}
