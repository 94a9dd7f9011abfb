/// A message with the proto3 JSON mapping; every generated message conforms.
///
/// Fields are named by their lowerCamelCase JSON names (both those and the proto names
/// are accepted when reading); fields at their default value are left out; enums are
/// their value names (numbers for values the schema does not know); 64-bit integers are
/// strings (numbers are accepted too); bytes are base64; `google.protobuf.Timestamp` is
/// an RFC 3339 string and `google.protobuf.FieldMask` a comma-separated string of
/// lowerCamelCase paths; maps are objects keyed by the key's text.
public protocol ProtoJSONMessage: ProtobufMessage {
    /// The message as JSON.
    func jsonValue() -> ProtoJSON

    /// Reads the message from JSON; `null` stands for a field's default.
    /// - Throws: ``ProtoJSONError`` for an unknown field or a value of the wrong shape.
    init(json: ProtoJSON) throws(ProtoJSONError)
}

extension ProtoJSONMessage {
    /// Parses JSON text and reads the message from it.
    public init(jsonText: String) throws(ProtoJSONError) {
        try self.init(json: ProtoJSON(parsing: jsonText))
    }

    /// The message as compact JSON text.
    public func jsonText(sortedKeys: Bool = false) -> String {
        jsonValue().serialized(sortedKeys: sortedKeys)
    }
}
