/// A protobuf message as a Swift value type.
///
/// Every generated message conforms. Encoding and decoding run in protobuf-c; the
/// generated code converts between the Swift value and the C struct.
///
/// Strings: protobuf-c handles strings as NUL-terminated C strings, so a `String`
/// containing U+0000 is encoded up to (not including) its first NUL, and a received
/// string is read up to its first NUL. Received strings must be valid UTF-8.
public protocol ProtobufMessage: Sendable, Equatable {
    /// A message with every field at its default (zero, empty, absent).
    init()

    /// Decodes the protobuf binary encoding of the message.
    ///
    /// An empty array decodes to the default message.
    /// - Throws: ``ProtobufDecodingError`` when `serializedBytes` is not a valid encoding.
    init(serializedBytes: [UInt8]) throws

    /// The protobuf binary encoding of the message. Map entries are written in key order,
    /// so equal messages encode to equal bytes.
    func serializedBytes() -> [UInt8]

    /// The fully-qualified protobuf name, e.g. "grpc.health.v1.HealthCheckRequest".
    static var protoMessageName: String { get }
}
