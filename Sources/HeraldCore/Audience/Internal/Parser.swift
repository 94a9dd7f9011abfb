/// Recursive-descent parser of the audience language; see ``AudienceFilter`` for the grammar.
///
/// Recursion happens only for parentheses and `NOT`, and is bounded by `maxDepth`;
/// `AND`/`OR` chains are loops building flat n-ary nodes.
struct Parser {
    private enum FieldRef {
        case text(AudiencePredicate.TextField)
        case subscription
        case time(AudiencePredicate.TimeField)
        case tags
        case attribute(String)
    }

    private let tokens: [Token]
    private var index = 0
    private var depth = 0
    private var terms = 0
    private let maxDepth: Int
    private let maxTerms: Int

    init(tokens: [Token], maxDepth: Int, maxTerms: Int) {
        self.tokens = tokens
        self.maxDepth = maxDepth
        self.maxTerms = maxTerms
    }

    mutating func parse() throws(AudienceFilterError) -> AudienceExpression {
        if current.kind == .end { return .all }
        let expression = try parseOr()
        guard current.kind == .end else {
            throw error("expected AND, OR or the end of the filter but found \(current.display)", at: current)
        }
        return expression
    }

    // MARK: Tokens

    private var current: Token { tokens[index] }

    private mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private func error(_ reason: String, at token: Token, hint: String? = nil) -> AudienceFilterError {
        AudienceFilterError(
            reason: reason, line: token.position.line, column: token.position.column,
            offset: token.position.offset, hint: hint
        )
    }

    // MARK: Boolean structure

    private mutating func parseOr() throws(AudienceFilterError) -> AudienceExpression {
        var operands = [try parseAnd()]
        while current.isKeyword("OR") {
            _ = advance()
            operands.append(try parseAnd())
        }
        return Self.flatten(operands, or: true)
    }

    private mutating func parseAnd() throws(AudienceFilterError) -> AudienceExpression {
        var operands = [try parseUnary()]
        while current.isKeyword("AND") {
            _ = advance()
            operands.append(try parseUnary())
        }
        return Self.flatten(operands, or: false)
    }

    private static func flatten(_ operands: [AudienceExpression], or: Bool) -> AudienceExpression {
        if operands.count == 1 { return operands[0] }
        var flat: [AudienceExpression] = []
        for operand in operands {
            switch (operand, or) {
            case (.or(let inner), true), (.and(let inner), false): flat.append(contentsOf: inner)
            default: flat.append(operand)
            }
        }
        return or ? .or(flat) : .and(flat)
    }

    private mutating func enter(_ token: Token) throws(AudienceFilterError) {
        depth += 1
        if depth > maxDepth {
            throw error("the filter is nested too deeply (more than \(maxDepth) levels)", at: token)
        }
    }

    private mutating func parseUnary() throws(AudienceFilterError) -> AudienceExpression {
        let token = current
        if token.isKeyword("NOT") {
            try enter(token)
            _ = advance()
            let operand = try parseUnary()
            depth -= 1
            if case .not(let inner) = operand { return inner }
            return .not(operand)
        }
        if token.kind == .leftParen {
            try enter(token)
            _ = advance()
            let inner = try parseOr()
            guard current.kind == .rightParen else {
                throw error("expected ')' to close the '(' at \(token.position.line):\(token.position.column) but found \(current.display)", at: current)
            }
            _ = advance()
            depth -= 1
            return inner
        }
        return try parsePredicate()
    }

    // MARK: Predicates

    private mutating func countTerm(_ token: Token) throws(AudienceFilterError) {
        terms += 1
        if terms > maxTerms {
            throw error("the filter has too many conditions and values (more than \(maxTerms))", at: token)
        }
    }

    private mutating func resolveField() throws(AudienceFilterError) -> (FieldRef, String) {
        let token = current
        guard case .word(let name) = token.kind,
              !["AND", "OR", "NOT", "IN", "HAS", "CONTAINS", "STARTS", "ENDS", "WITH", "EXISTS", "TRUE", "FALSE"]
                .contains(where: token.isKeyword)
        else {
            throw error("expected a field name, NOT or '(' but found \(token.display)", at: token)
        }
        _ = advance()
        try countTerm(token)
        if name.hasPrefix("attributes.") {
            let key = String(name.dropFirst("attributes.".count))
            guard Profile.isValidAttributeKey(key) else {
                throw error(
                    key.isEmpty ? "expected an attribute name after 'attributes.'" : "invalid attribute name '\(key)'",
                    at: token
                )
            }
            return (.attribute(key), name)
        }
        if let field = AudiencePredicate.TextField(rawValue: name) { return (.text(field), name) }
        if let field = AudiencePredicate.TimeField(rawValue: name) { return (.time(field), name) }
        if name == "subscription" { return (.subscription, name) }
        if name == "tags" { return (.tags, name) }
        if name == "attributes" {
            throw error("expected '.' and an attribute name after 'attributes'", at: token)
        }
        let known = AudiencePredicate.TextField.allCases.map(\.rawValue)
            + AudiencePredicate.TimeField.allCases.map(\.rawValue) + ["subscription", "tags"]
        var hint: String?
        if let match = known.first(where: { $0 == name.lowercased() }) {
            hint = "did you mean \(match)?"
        } else if Profile.isValidAttributeKey(name) {
            hint = "did you mean attributes.\(name)?"
        }
        throw error("unknown field '\(name)'", at: token, hint: hint)
    }

    private mutating func parsePredicate() throws(AudienceFilterError) -> AudienceExpression {
        let (field, name) = try resolveField()
        let opToken = advance()
        let comparison: AudiencePredicate.Comparison?
        switch opToken.kind {
        case .equal: comparison = .equal
        case .notEqual: comparison = .notEqual
        case .less: comparison = .less
        case .lessOrEqual: comparison = .lessOrEqual
        case .greater: comparison = .greater
        case .greaterOrEqual: comparison = .greaterOrEqual
        default: comparison = nil
        }
        if let comparison {
            let value = try parseValue(after: opToken)
            return try compare(field, name, comparison, value)
        }
        if opToken.isKeyword("IN") {
            return try parseIn(field, name, opToken)
        }
        if opToken.isKeyword("NOT") {
            guard current.isKeyword("IN") else {
                throw error("expected IN after NOT (write NOT before the field to negate a condition)", at: current)
            }
            let inToken = advance()
            return .not(try parseIn(field, name, inToken))
        }
        if opToken.isKeyword("HAS") {
            let value = try parseValue(after: opToken)
            guard case .tags = field else {
                throw error("HAS applies only to tags; use = or CONTAINS with \(name)", at: opToken)
            }
            guard case .string(let tag) = value.kind else {
                throw error("expected a string after HAS but found \(value.display)", at: value)
            }
            return .predicate(.hasTag(tag))
        }
        if opToken.isKeyword("CONTAINS") {
            return try match(field, name, .contains, opToken, try parseValue(after: opToken))
        }
        if opToken.isKeyword("STARTS") || opToken.isKeyword("ENDS") {
            guard current.isKeyword("WITH") else {
                throw error("expected WITH after \(opToken.isKeyword("STARTS") ? "STARTS" : "ENDS")", at: current)
            }
            let withToken = advance()
            let kind: AudiencePredicate.TextMatch = opToken.isKeyword("STARTS") ? .startsWith : .endsWith
            return try match(field, name, kind, opToken, try parseValue(after: withToken))
        }
        if opToken.isKeyword("EXISTS") {
            switch field {
            case .attribute(let key): return .predicate(.attributeExists(key: key))
            case .tags: return .predicate(.hasAnyTag)
            case .text(let f): return .predicate(.textNonEmpty(f))
            case .subscription, .time:
                throw error("EXISTS does not apply to \(name): it always has a value", at: opToken)
            }
        }
        throw error(
            "expected an operator after '\(name)' (=, !=, <, <=, >, >=, IN, NOT IN, HAS, CONTAINS, STARTS WITH, ENDS WITH, EXISTS) but found \(opToken.display)",
            at: opToken
        )
    }

    private mutating func parseValue(after op: Token) throws(AudienceFilterError) -> Token {
        let token = current
        switch token.kind {
        case .string, .number:
            _ = advance()
            return token
        case .word where token.isKeyword("TRUE") || token.isKeyword("FALSE"):
            _ = advance()
            return token
        default:
            let opText: String
            if case .word(let w) = op.kind { opText = w.uppercased() } else { opText = String(op.display.dropFirst().dropLast()) }
            throw error("expected a value after '\(opText)' but found \(token.display)", at: token)
        }
    }

    private mutating func parseIn(_ field: FieldRef, _ name: String, _ inToken: Token) throws(AudienceFilterError) -> AudienceExpression {
        guard current.kind == .leftParen else {
            throw error("expected '(' after IN but found \(current.display)", at: current)
        }
        _ = advance()
        var values: [Token] = []
        while true {
            let value = try parseValue(after: values.isEmpty ? Token(kind: .leftParen, position: inToken.position) : Token(kind: .comma, position: inToken.position))
            try countTerm(value)
            values.append(value)
            if current.kind == .comma {
                _ = advance()
                continue
            }
            guard current.kind == .rightParen else {
                throw error("expected ',' or ')' in the IN list but found \(current.display)", at: current)
            }
            _ = advance()
            break
        }
        switch field {
        case .text(let f):
            var strings: [String] = []
            for value in values {
                guard case .string(let s) = value.kind else {
                    throw error("\(name) is a string field; expected a string but found \(value.display)", at: value)
                }
                strings.append(s)
            }
            return .predicate(.textIn(f, strings))
        case .subscription:
            var set: [Profile.Subscription] = []
            for value in values { set.append(try subscriptionValue(value)) }
            return .predicate(.subscription(Self.sorted(set)))
        case .tags:
            throw error("IN does not apply to tags; use tags HAS \"x\" OR tags HAS \"y\"", at: inToken)
        case .time:
            throw error("IN does not apply to \(name); compare it with <, <=, >, >=", at: inToken)
        case .attribute:
            var operands: [AudienceExpression] = []
            for value in values { operands.append(try compare(field, name, .equal, value)) }
            return operands.count == 1 ? operands[0] : .or(operands)
        }
    }

    private static func sorted(_ set: [Profile.Subscription]) -> [Profile.Subscription] {
        Profile.Subscription.allCases.filter(set.contains)
    }

    private func subscriptionValue(_ value: Token) throws(AudienceFilterError) -> Profile.Subscription {
        let allowed = Profile.Subscription.allCases.map(\.rawValue).joined(separator: ", ")
        guard case .string(let s) = value.kind else {
            throw error("subscription takes one of \(allowed) but found \(value.display)", at: value)
        }
        guard let subscription = Profile.Subscription(rawValue: s.uppercased()) else {
            throw error("unknown subscription \(value.display); expected one of \(allowed)", at: value)
        }
        return subscription
    }

    private func compare(
        _ field: FieldRef, _ name: String, _ op: AudiencePredicate.Comparison, _ value: Token
    ) throws(AudienceFilterError) -> AudienceExpression {
        switch field {
        case .text(let f):
            guard case .string(let s) = value.kind else {
                throw error("\(name) is a string field; expected a string but found \(value.display)", at: value)
            }
            return .predicate(.text(f, op, s))
        case .subscription:
            let subscription = try subscriptionValue(value)
            switch op {
            case .equal: return .predicate(.subscription([subscription]))
            case .notEqual: return .predicate(.subscription(Profile.Subscription.allCases.filter { $0 != subscription }))
            default: throw error("subscription can only be compared with = or !=", at: value)
            }
        case .time(let f):
            let time: Timestamp
            switch value.kind {
            case .string(let s):
                guard let t = Timestamp(rfc3339: s) else {
                    throw error("expected an RFC 3339 time such as \"2024-05-01T12:00:00Z\" or a date such as \"2024-05-01\" but found \(value.display)", at: value)
                }
                time = t
            case .number(let seconds, _):
                let micros = (seconds * 1_000_000).rounded()
                guard abs(micros) < 9.0e18 else { throw error("time \(value.display) is out of range", at: value) }
                time = Timestamp(microsecondsSinceEpoch: Int64(micros))
            default:
                throw error("\(name) is a time; expected an RFC 3339 string or Unix seconds but found \(value.display)", at: value)
            }
            return .predicate(.time(f, op, time))
        case .tags:
            throw error("tags is a set; use tags HAS \"x\" or tags EXISTS", at: value)
        case .attribute(let key):
            switch value.kind {
            case .string(let s):
                return .predicate(.attributeText(key: key, op, s))
            case .number(let n, _):
                return .predicate(.attributeNumber(key: key, op, n))
            default:
                guard op == .equal || op == .notEqual else {
                    throw error("true and false can only be compared with = or !=", at: value)
                }
                return .predicate(.attributeText(key: key, op, value.isKeyword("TRUE") ? "true" : "false"))
            }
        }
    }

    private func match(
        _ field: FieldRef, _ name: String, _ kind: AudiencePredicate.TextMatch, _ opToken: Token, _ value: Token
    ) throws(AudienceFilterError) -> AudienceExpression {
        guard case .string(let s) = value.kind else {
            throw error("\(kind.rawValue) takes a string but found \(value.display)", at: value)
        }
        switch field {
        case .text(let f): return .predicate(.textMatch(f, kind, s))
        case .attribute(let key): return .predicate(.attributeMatch(key: key, kind, s))
        case .tags: throw error("\(kind.rawValue) does not apply to tags; use tags HAS \"x\"", at: opToken)
        case .subscription, .time: throw error("\(kind.rawValue) does not apply to \(name)", at: opToken)
        }
    }
}
