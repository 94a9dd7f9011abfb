/// A syntax or typing error in an audience filter, with its position.
///
/// ``AudienceFilter/init(parsing:)`` throws a ``HeraldError`` with code
/// ``HeraldError/Code/invalidArgument`` whose ``HeraldError/cause`` is this error; its
/// ``HeraldError/message`` is ``description``.
public struct AudienceFilterError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, e.g. `expected a value after '='`.
    public var reason: String
    /// The 1-based line of the offending token.
    public var line: Int
    /// The 1-based column (in Unicode scalars) of the offending token.
    public var column: Int
    /// The 0-based UTF-8 byte offset of the offending token.
    public var offset: Int
    /// A suggestion, if one applies (e.g. `did you mean attributes.country?`).
    public var hint: String?

    /// Creates an error.
    public init(reason: String, line: Int, column: Int, offset: Int, hint: String? = nil) {
        self.reason = reason
        self.line = line
        self.column = column
        self.offset = offset
        self.hint = hint
    }

    /// `invalid audience filter: <reason> at <line>:<column>[; <hint>]`.
    public var description: String {
        var text = "invalid audience filter: \(reason) at \(line):\(column)"
        if let hint { text += "; \(hint)" }
        return text
    }
}
