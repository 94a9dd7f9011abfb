/// A position in the filter source.
struct SourcePosition: Hashable, Sendable {
    var offset: Int
    var line: Int
    var column: Int
}

/// A lexical token of the audience language.
struct Token: Hashable, Sendable {
    enum Kind: Hashable, Sendable {
        /// A bare word: a field name or a keyword (keywords are recognised by the parser,
        /// case-insensitively).
        case word(String)
        case string(String)
        /// A number; `text` is the literal as written.
        case number(Double, text: String)
        case leftParen
        case rightParen
        case comma
        case equal
        case notEqual
        case less
        case lessOrEqual
        case greater
        case greaterOrEqual
        case end
    }

    var kind: Kind
    var position: SourcePosition

    /// How the token is shown in messages: `'='`, `"abc"`, `end of input`.
    var display: String {
        switch kind {
        case .word(let w): "'\(w)'"
        case .string(let s): s.count > 40 ? "a string" : "\"\(s)\""
        case .number(_, let text): "'\(text)'"
        case .leftParen: "'('"
        case .rightParen: "')'"
        case .comma: "','"
        case .equal: "'='"
        case .notEqual: "'!='"
        case .less: "'<'"
        case .lessOrEqual: "'<='"
        case .greater: "'>'"
        case .greaterOrEqual: "'>='"
        case .end: "the end of the filter"
        }
    }

    /// Whether this is the keyword `keyword` (given in upper case), case-insensitively.
    func isKeyword(_ keyword: String) -> Bool {
        guard case .word(let w) = kind, w.utf8.count == keyword.utf8.count else { return false }
        return zip(w.utf8, keyword.utf8).allSatisfy { a, b in
            (a >= 97 && a <= 122 ? a - 32 : a) == b
        }
    }
}
