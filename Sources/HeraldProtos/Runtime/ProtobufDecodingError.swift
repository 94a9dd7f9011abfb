/// Bytes that are not a valid encoding of the expected message.
public struct ProtobufDecodingError: Error, Hashable, CustomStringConvertible {
    /// What was wrong with the input. Extensible: switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        /// Not a protobuf encoding of the message (truncated, bad tag, wrong wire type,
        /// length overflow...), as reported by `protobuf_c_message_unpack`.
        public static let malformed = Code(name: "malformed")
        /// A string field holds bytes that are not UTF-8.
        public static let invalidUTF8 = Code(name: "invalid UTF-8")

        public var description: String { name }
    }

    /// What was wrong.
    public var code: Code
    /// The fully-qualified name of the message being decoded.
    public var messageName: String
    /// The fully-qualified field at fault, when known ("pkg.Message.field").
    public var field: String?

    package init(_ code: Code, messageName: String, field: String? = nil) {
        self.code = code
        self.messageName = messageName
        self.field = field
    }

    public var description: String {
        switch (code, field) {
        case (.invalidUTF8, let field?):
            "cannot decode \(messageName): string field \(field) is not valid UTF-8"
        case (_, let field?):
            "cannot decode \(messageName): \(code) (\(field))"
        case (_, nil):
            "cannot decode \(messageName): \(code) protobuf encoding (protobuf_c_message_unpack failed)"
        }
    }
}
