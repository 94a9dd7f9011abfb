extension AudienceFilter {
    /// Compiles the filter to a parameterized SQLite `WHERE` clause over the schema that
    /// ``AudienceSQL`` documents. Selects exactly the profiles ``matches(_:)`` accepts.
    ///
    /// - Parameter attributeColumns: the columns of an attribute key, or `nil` when no
    ///   profile has that key (conditions on it are then false).
    ///
    /// Every condition is two-valued (never SQL NULL), so `NOT` means "does not match".
    /// `AND`/`OR` chains are emitted as balanced trees, so SQLite's expression depth stays
    /// logarithmic in the number of conditions.
    public func sql(attributeColumns: (String) -> AudienceSQL.AttributeColumns?) -> AudienceSQL {
        withoutActuallyEscaping(attributeColumns) { resolve in
            var builder = SQLBuilder(attributeColumns: resolve)
            builder.emit(expression)
            return AudienceSQL(clause: builder.text, arguments: builder.arguments)
        }
    }
}

private struct SQLBuilder {
    let attributeColumns: (String) -> AudienceSQL.AttributeColumns?
    var text = ""
    var arguments: [AudienceSQL.Argument] = []

    mutating func bind(_ argument: AudienceSQL.Argument) {
        text += "?"
        arguments.append(argument)
    }

    mutating func emit(_ expression: AudienceExpression) {
        switch expression {
        case .all:
            text += "1"
        case .and(let operands):
            emitBalanced(operands[...], joiner: " AND ")
        case .or(let operands):
            emitBalanced(operands[...], joiner: " OR ")
        case .not(let operand):
            text += "NOT ("
            emit(operand)
            text += ")"
        case .predicate(let predicate):
            emit(predicate)
        }
    }

    private mutating func emitBalanced(_ operands: ArraySlice<AudienceExpression>, joiner: String) {
        if operands.count == 1 {
            emit(operands[operands.startIndex])
            return
        }
        let middle = operands.startIndex + operands.count / 2
        text += "("
        emitBalanced(operands[..<middle], joiner: joiner)
        text += joiner
        emitBalanced(operands[middle...], joiner: joiner)
        text += ")"
    }

    private static func column(_ field: AudiencePredicate.TextField) -> String {
        "profiles.\(field.rawValue)"
    }

    private mutating func emit(_ predicate: AudiencePredicate) {
        switch predicate {
        case .text(let field, let op, let value):
            text += "\(Self.column(field)) \(op.rawValue) "
            bind(.text(value))
        case .textIn(let field, let values):
            text += "\(Self.column(field)) IN ("
            for (i, value) in values.enumerated() {
                if i > 0 { text += ", " }
                bind(.text(value))
            }
            text += ")"
        case .textMatch(let field, let kind, let value):
            emitMatch(Self.column(field), kind, value)
        case .textNonEmpty(let field):
            text += "\(Self.column(field)) != ''"
        case .subscription(let allowed):
            if allowed.isEmpty {
                text += "0"
                return
            }
            // Without SUBSCRIBED, the condition of the store's partial index (rows that
            // are not SUBSCRIBED) is repeated so that SQLite may use it; a constant, no value.
            let partial = !allowed.contains(.subscribed)
            text += partial ? "(profiles.subscription != 'SUBSCRIBED' AND profiles.subscription IN (" : "profiles.subscription IN ("
            for (i, value) in allowed.enumerated() {
                if i > 0 { text += ", " }
                bind(.text(value.rawValue))
            }
            text += partial ? "))" : ")"
        case .time(let field, let op, let time):
            text += "profiles.\(field.rawValue) \(op.rawValue) "
            bind(.integer(time.microsecondsSinceEpoch))
        case .hasTag(let tag):
            text += "profiles.pk IN (SELECT profile_pk FROM profile_tags WHERE tag = "
            bind(.text(tag))
            text += ")"
        case .hasAnyTag:
            text += "profiles.tags != '[]'"
        case .attributeExists(let key):
            attribute(key) { b, columns in b.text += "\(columns.text) IS NOT NULL" }
        case .attributeText(let key, let op, let value):
            attribute(key) { b, columns in
                b.text += "(\(columns.text) IS NOT NULL AND \(columns.text) \(op.rawValue) "
                b.bind(.text(value))
                b.text += ")"
            }
        case .attributeNumber(let key, let op, let number):
            attribute(key) { b, columns in
                b.text += "(\(columns.number) IS NOT NULL AND \(columns.number) \(op.rawValue) "
                b.bind(.real(number))
                b.text += ")"
            }
        case .attributeMatch(let key, let kind, let value):
            attribute(key) { b, columns in
                b.text += "(\(columns.text) IS NOT NULL AND "
                b.emitMatch(columns.text, kind, value)
                b.text += ")"
            }
        }
    }

    /// Emits `body` for the key's columns, or `0` when no profile has the key.
    private mutating func attribute(_ key: String, _ body: (inout SQLBuilder, AudienceSQL.AttributeColumns) -> Void) {
        guard let columns = attributeColumns(key) else {
            text += "0"
            return
        }
        precondition(
            Self.isIdentifier(columns.text) && Self.isIdentifier(columns.number),
            "attribute column names must be plain SQL identifiers"
        )
        body(&self, columns)
    }

    private static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, first.isIdentifierStart else { return false }
        return name.utf8.allSatisfy { $0.isIdentifierStart || $0.isASCIIDigit }
    }

    /// Substring tests without LIKE: `instr` and `substr` count characters on TEXT, which
    /// matches byte-wise tests on valid UTF-8 without NUL (profiles and filters refuse NUL).
    private mutating func emitMatch(_ column: String, _ kind: AudiencePredicate.TextMatch, _ value: String) {
        if value.isEmpty {
            text += "1"
            return
        }
        let length = Int64(value.unicodeScalars.count)
        switch kind {
        case .contains:
            text += "instr(\(column), "
            bind(.text(value))
            text += ") > 0"
        case .startsWith:
            text += "substr(\(column), 1, "
            bind(.integer(length))
            text += ") = "
            bind(.text(value))
        case .endsWith:
            text += "substr(\(column), -"
            bind(.integer(length))
            text += ") = "
            bind(.text(value))
        }
    }
}
