extension AudienceFilter {
    /// Whether `profile` matches the filter, evaluated in memory.
    ///
    /// Agrees with the SQL of ``sql()`` on every profile that passes
    /// ``Profile/validate()`` (stored tags are deduplicated as ``Profile/normalized()`` does).
    public func matches(_ profile: Profile) -> Bool {
        Self.evaluate(expression, profile)
    }

    private static func evaluate(_ expression: AudienceExpression, _ profile: Profile) -> Bool {
        switch expression {
        case .all: true
        case .and(let operands): operands.allSatisfy { evaluate($0, profile) }
        case .or(let operands): operands.contains { evaluate($0, profile) }
        case .not(let operand): !evaluate(operand, profile)
        case .predicate(let predicate): evaluate(predicate, profile)
        }
    }

    private static func evaluate(_ predicate: AudiencePredicate, _ profile: Profile) -> Bool {
        switch predicate {
        case .text(let field, let op, let value):
            return compare(text(field, profile), op, value)
        case .textIn(let field, let values):
            let v = text(field, profile)
            return values.contains { bytesEqual(v, $0) }
        case .textMatch(let field, let kind, let value):
            return match(text(field, profile), kind, value)
        case .textNonEmpty(let field):
            return !text(field, profile).isEmpty
        case .subscription(let allowed):
            return allowed.contains(profile.subscription)
        case .time(let field, let op, let time):
            let v = field == .createdAt ? profile.createdAt : profile.updatedAt
            return compare(v.microsecondsSinceEpoch, op, time.microsecondsSinceEpoch)
        case .hasTag(let tag):
            return profile.tags.contains { bytesEqual($0, tag) }
        case .hasAnyTag:
            return !profile.tags.isEmpty
        case .attributeExists(let key):
            return profile.attributes[key] != nil
        case .attributeText(let key, let op, let value):
            guard let v = profile.attributes[key] else { return false }
            return compare(v, op, value)
        case .attributeNumber(let key, let op, let number):
            guard let v = profile.attributes[key], let n = AudienceNumber.parse(v) else { return false }
            return compare(n, op, number)
        case .attributeMatch(let key, let kind, let value):
            guard let v = profile.attributes[key] else { return false }
            return match(v, kind, value)
        }
    }

    private static func text(_ field: AudiencePredicate.TextField, _ profile: Profile) -> String {
        switch field {
        case .id: profile.id
        case .email: profile.email
        case .firstName: profile.firstName
        case .lastName: profile.lastName
        case .locale: profile.locale
        case .timeZone: profile.timeZone
        }
    }

    private static func bytesEqual(_ a: String, _ b: String) -> Bool {
        a.utf8.elementsEqual(b.utf8)
    }

    private static func compare(_ a: String, _ op: AudiencePredicate.Comparison, _ b: String) -> Bool {
        switch op {
        case .equal: bytesEqual(a, b)
        case .notEqual: !bytesEqual(a, b)
        case .less: a.utf8.lexicographicallyPrecedes(b.utf8)
        case .lessOrEqual: !b.utf8.lexicographicallyPrecedes(a.utf8)
        case .greater: b.utf8.lexicographicallyPrecedes(a.utf8)
        case .greaterOrEqual: !a.utf8.lexicographicallyPrecedes(b.utf8)
        }
    }

    private static func compare<T: Comparable>(_ a: T, _ op: AudiencePredicate.Comparison, _ b: T) -> Bool {
        switch op {
        case .equal: a == b
        case .notEqual: a != b
        case .less: a < b
        case .lessOrEqual: a <= b
        case .greater: a > b
        case .greaterOrEqual: a >= b
        }
    }

    private static func match(_ value: String, _ kind: AudiencePredicate.TextMatch, _ needle: String) -> Bool {
        let v = Array(value.utf8), n = Array(needle.utf8)
        switch kind {
        case .startsWith:
            return v.starts(with: n)
        case .endsWith:
            return v.count >= n.count && v[(v.count - n.count)...].elementsEqual(n)
        case .contains:
            if n.isEmpty { return true }
            if n.count > v.count { return false }
            for start in 0...(v.count - n.count) where v[start] == n[0] {
                if v[start..<(start + n.count)].elementsEqual(n) { return true }
            }
            return false
        }
    }
}
