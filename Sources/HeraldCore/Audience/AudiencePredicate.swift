/// One condition of an audience filter, typed by the field it reads.
///
/// Strings compare as sequences of Unicode scalars (byte-wise on UTF-8, case-sensitive,
/// no normalization), as SQLite's BINARY collation does. Every condition on an
/// attribute is false when the profile lacks the attribute, `!=` included.
public enum AudiencePredicate: Hashable, Sendable {
    /// A comparison operator.
    public enum Comparison: String, Hashable, Sendable {
        /// `=`
        case equal = "="
        /// `!=`
        case notEqual = "!="
        /// `<`
        case less = "<"
        /// `<=`
        case lessOrEqual = "<="
        /// `>`
        case greater = ">"
        /// `>=`
        case greaterOrEqual = ">="
    }

    /// A substring operator.
    public enum TextMatch: String, Hashable, Sendable {
        /// `CONTAINS`: the operand occurs anywhere in the value.
        case contains = "CONTAINS"
        /// `STARTS WITH`
        case startsWith = "STARTS WITH"
        /// `ENDS WITH`
        case endsWith = "ENDS WITH"
    }

    /// A profile field holding a string.
    public enum TextField: String, Hashable, Sendable, CaseIterable {
        /// `id`
        case id
        /// `email`
        case email
        /// `first_name`
        case firstName = "first_name"
        /// `last_name`
        case lastName = "last_name"
        /// `locale`
        case locale
        /// `time_zone`
        case timeZone = "time_zone"
    }

    /// A profile field holding a time.
    public enum TimeField: String, Hashable, Sendable, CaseIterable {
        /// `created_at`
        case createdAt = "created_at"
        /// `updated_at`
        case updatedAt = "updated_at"
    }

    /// `field op "text"` on a profile string field.
    case text(TextField, Comparison, String)
    /// `field IN ("a", "b")` on a profile string field.
    case textIn(TextField, [String])
    /// `field CONTAINS|STARTS WITH|ENDS WITH "text"` on a profile string field.
    case textMatch(TextField, TextMatch, String)
    /// `field EXISTS` on a profile string field: the value is not empty.
    case textNonEmpty(TextField)
    /// `subscription = X`, `!= X` or `IN (…)`: the subscription is one of these.
    case subscription([Profile.Subscription])
    /// `created_at|updated_at op time`.
    case time(TimeField, Comparison, Timestamp)
    /// `tags HAS "x"`.
    case hasTag(String)
    /// `tags EXISTS`: at least one tag.
    case hasAnyTag
    /// `attributes.key EXISTS`.
    case attributeExists(key: String)
    /// `attributes.key op "text"` (also `= true`/`= false`, as the strings "true"/"false").
    case attributeText(key: String, Comparison, String)
    /// `attributes.key op number`: true when the value is numeric (``AudienceNumber``)
    /// and compares so.
    case attributeNumber(key: String, Comparison, Double)
    /// `attributes.key CONTAINS|STARTS WITH|ENDS WITH "text"`.
    case attributeMatch(key: String, TextMatch, String)
}
