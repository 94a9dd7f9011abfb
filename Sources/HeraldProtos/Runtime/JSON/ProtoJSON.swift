/// A JSON value, as the proto3 JSON mapping produces and reads it.
///
/// Numbers keep their JSON text (`"12"`, `"-0.5"`, `"1e-05"`), so 64-bit integers and
/// doubles go through parsing and serialization without a detour through `Double`.
/// Objects keep their members in order (generated messages write fields in declaration
/// order); ``serialized(sortedKeys:)`` can sort them.
public enum ProtoJSON: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number as its JSON text, which must follow the JSON number grammar
    /// (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`).
    case number(String)
    case string(String)
    case array([ProtoJSON])
    /// The members in order; a parsed object never has two members with the same key.
    case object([Member])

    /// One member of an object.
    public struct Member: Sendable, Hashable {
        /// The member's name.
        public var key: String
        /// The member's value.
        public var value: ProtoJSON

        /// A member named `key`.
        public init(_ key: String, _ value: ProtoJSON) {
            self.key = key
            self.value = value
        }
    }

    /// An integer as a JSON number.
    public init(integer: some BinaryInteger) {
        self = .number(String(integer))
    }

    /// The value of the first member named `key` when this is an object, else nil.
    public subscript(key: String) -> ProtoJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The string when this is a string, else nil.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}
