/// A template that does not parse.
public struct TemplateSyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The template.
    public var part: TemplatePart
    /// The line of the error, from 1.
    public var line: Int
    /// The column of the error, from 1.
    public var column: Int
    /// What is wrong, in English.
    public var reason: String

    /// Creates an error.
    public init(part: TemplatePart, line: Int, column: Int, reason: String) {
        self.part = part
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// E.g. `html_body 3:14: the section 'a' is closed by 'b'`.
    public var description: String { "\(part) \(line):\(column): \(reason)" }
}
