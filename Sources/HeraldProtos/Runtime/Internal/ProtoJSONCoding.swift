// Value conversions of the proto3 JSON mapping, called by the generated
// `jsonValue()` and `init(json:)` of every message (here and in other modules of the
// package), so the generated code stays one line per field.

// MARK: - Writing

package func _heraldJSON(_ value: Bool) -> ProtoJSON { .bool(value) }
package func _heraldJSON(_ value: String) -> ProtoJSON { .string(value) }
package func _heraldJSON(_ value: Int32) -> ProtoJSON { .number(String(value)) }
package func _heraldJSON(_ value: UInt32) -> ProtoJSON { .number(String(value)) }
package func _heraldJSON(_ value: Int64) -> ProtoJSON { .string(String(value)) }
package func _heraldJSON(_ value: UInt64) -> ProtoJSON { .string(String(value)) }
package func _heraldJSON(_ value: [UInt8]) -> ProtoJSON { .string(Base64.encode(value)) }

package func _heraldJSON(_ value: Double) -> ProtoJSON {
    if value.isNaN { return .string("NaN") }
    if value.isInfinite { return .string(value < 0 ? "-Infinity" : "Infinity") }
    // `description` is the shortest text that reads back to the same value, and is a
    // valid JSON number for finite values ("1.0", "1e-05", "-0.0").
    return .number(value.description)
}

package func _heraldJSON(_ value: Float) -> ProtoJSON {
    if value.isNaN { return .string("NaN") }
    if value.isInfinite { return .string(value < 0 ? "-Infinity" : "Infinity") }
    return .number(value.description)
}

package func _heraldJSON<E: ProtoEnum>(_ value: E) -> ProtoJSON {
    if let name = value.protoName { return .string(name) }
    return .number(String(value.rawValue))
}

package func _heraldJSON<M: ProtoJSONMessage>(_ value: M) -> ProtoJSON { value.jsonValue() }

package func _heraldJSONKey(_ key: String) -> String { key }
package func _heraldJSONKey(_ key: Bool) -> String { key ? "true" : "false" }
package func _heraldJSONKey(_ key: some FixedWidthInteger) -> String { String(key) }

/// A map as a JSON object, keys in encoding order.
package func _heraldJSONMap<Key: _ProtoMapKey, Value>(_ map: [Key: Value], key: (Key) -> String, value: (Value) -> ProtoJSON) -> ProtoJSON {
    .object(_heraldSortedEntries(map).map { ProtoJSON.Member(key($0.key), value($0.value)) })
}

// MARK: - Reading

package func _heraldJSONMembers(_ json: ProtoJSON, _ message: String) throws(ProtoJSONError) -> [ProtoJSON.Member] {
    guard case .object(let members) = json else {
        throw ProtoJSONError("\(message): expected a JSON object, got \(json.kindName)")
    }
    return members
}

package func _heraldJSONArray(_ json: ProtoJSON, _ field: String) throws(ProtoJSONError) -> [ProtoJSON] {
    guard case .array(let elements) = json else {
        throw ProtoJSONError("\(field): expected a JSON array, got \(json.kindName)")
    }
    return elements
}

package func _heraldJSONUnknownField(_ key: String, _ message: String) -> ProtoJSONError {
    ProtoJSONError("\(message): unknown field \"\(key)\"")
}

package func _heraldJSONRead(_ json: ProtoJSON, as _: Bool.Type, _ field: String) throws(ProtoJSONError) -> Bool {
    guard case .bool(let value) = json else { throw mismatch(json, "a boolean", field) }
    return value
}

package func _heraldJSONRead(_ json: ProtoJSON, as _: String.Type, _ field: String) throws(ProtoJSONError) -> String {
    guard case .string(let value) = json else { throw mismatch(json, "a string", field) }
    return value
}

package func _heraldJSONRead(_ json: ProtoJSON, as _: [UInt8].Type, _ field: String) throws(ProtoJSONError) -> [UInt8] {
    guard case .string(let value) = json else { throw mismatch(json, "a base64 string", field) }
    guard let bytes = Base64.decodeJSON(value) else { throw ProtoJSONError("\(field): invalid base64") }
    return bytes
}

package func _heraldJSONRead<I: FixedWidthInteger>(_ json: ProtoJSON, as _: I.Type, _ field: String) throws(ProtoJSONError) -> I {
    let text: String
    switch json {
    case .number(let value): text = value
    case .string(let value): text = value
    default: throw mismatch(json, "an integer", field)
    }
    if let value = I(text) {
        return value
    }
    // Exponent or fraction notation of an integral value ("1e3", "5.0").
    guard ProtoJSONParser.numberEnd(Array(text.utf8), from: 0) == text.utf8.count, let double = Double(text),
          double.rounded() == double, let value = I(exactly: double)
    else {
        throw ProtoJSONError("\(field): \"\(text)\" is not a \(I.self == Int32.self || I.self == Int64.self ? "signed" : "unsigned") \(I.bitWidth)-bit integer")
    }
    return value
}

package func _heraldJSONRead(_ json: ProtoJSON, as _: Double.Type, _ field: String) throws(ProtoJSONError) -> Double {
    try readFloatingPoint(json, field)
}

package func _heraldJSONRead(_ json: ProtoJSON, as _: Float.Type, _ field: String) throws(ProtoJSONError) -> Float {
    try readFloatingPoint(json, field)
}

private func readFloatingPoint<F: LosslessStringConvertible & BinaryFloatingPoint>(_ json: ProtoJSON, _ field: String) throws(ProtoJSONError) -> F {
    let text: String
    switch json {
    case .number(let value): text = value
    case .string("NaN"): return .nan
    case .string("Infinity"): return .infinity
    case .string("-Infinity"): return -.infinity
    case .string(let value): text = value
    default: throw mismatch(json, "a number", field)
    }
    guard ProtoJSONParser.numberEnd(Array(text.utf8), from: 0) == text.utf8.count, let value = F(text) else {
        throw ProtoJSONError("\(field): \"\(text)\" is not a number")
    }
    return value
}

package func _heraldJSONRead<E: ProtoEnum>(_ json: ProtoJSON, as _: E.Type, _ field: String) throws(ProtoJSONError) -> E {
    switch json {
    case .string(let name):
        guard let value = E(protoName: name) else { throw ProtoJSONError("\(field): unknown enum value \"\(name)\"") }
        return value
    case .number:
        let number = try _heraldJSONRead(json, as: Int32.self, field)
        guard let value = E(rawValue: number) else { throw ProtoJSONError("\(field): invalid enum number \(number)") }
        return value
    default:
        throw mismatch(json, "an enum name or number", field)
    }
}

package func _heraldJSONRead<M: ProtoJSONMessage>(_ json: ProtoJSON, as _: M.Type, _ field: String) throws(ProtoJSONError) -> M {
    try M(json: json)
}

package func _heraldJSONReadKey(_ key: String, as _: String.Type, _ field: String) throws(ProtoJSONError) -> String { key }

package func _heraldJSONReadKey(_ key: String, as _: Bool.Type, _ field: String) throws(ProtoJSONError) -> Bool {
    switch key {
    case "true": return true
    case "false": return false
    default: throw ProtoJSONError("\(field): map key \"\(key)\" is not a boolean")
    }
}

package func _heraldJSONReadKey<I: FixedWidthInteger>(_ key: String, as _: I.Type, _ field: String) throws(ProtoJSONError) -> I {
    guard let value = I(key) else { throw ProtoJSONError("\(field): map key \"\(key)\" is not a \(I.bitWidth)-bit integer") }
    return value
}

private func mismatch(_ json: ProtoJSON, _ expected: String, _ field: String) -> ProtoJSONError {
    ProtoJSONError("\(field): expected \(expected), got \(json.kindName)")
}

extension ProtoJSON {
    /// "an object", "a string"... for error messages.
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number(let text): "the number \(text)"
        case .string(let text): "the string \"\(text.prefix(40))\""
        case .array: "an array"
        case .object: "an object"
        }
    }
}
