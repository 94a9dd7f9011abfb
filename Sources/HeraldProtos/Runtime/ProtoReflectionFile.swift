/// One proto file of the generated set, for server reflection.
public struct ProtoReflectionFile: Sendable, Hashable {
    /// The import name, e.g. "herald/v1/delivery.proto".
    public let name: String
    /// The import names of the files it imports, in declaration order.
    public let dependencies: [String]
    /// The fully-qualified names it defines: every message (nested ones too), enum,
    /// service and method ("pkg.Service.Method").
    public let symbols: [String]
    /// The serialized `google.protobuf.FileDescriptorProto`, byte for byte as protoc
    /// produced it (the same bytes as in `Protos/generated/herald.protoset`).
    public let serializedDescriptor: [UInt8]

    package init(name: String, dependencies: [String], symbols: [String], base64Descriptor: String) {
        self.name = name
        self.dependencies = dependencies
        self.symbols = symbols
        guard let bytes = Base64.decode(base64Descriptor) else {
            preconditionFailure("corrupt embedded descriptor for \(name); run scripts/generate")
        }
        self.serializedDescriptor = bytes
    }
}
