/// JSON text that could not be parsed, or a JSON value that does not match the message
/// it was read as (unknown field, wrong type, out-of-range number, bad enum name...).
public struct ProtoJSONError: Error, Hashable, CustomStringConvertible {
    /// What was wrong, in English, naming the field or the byte offset.
    public var message: String

    /// An error saying `message`.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
