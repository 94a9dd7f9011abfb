import Foundation
import HeraldProtos
import Testing

/// Checks the encoding against a foreign implementation: Python's `google.protobuf`
/// (needs `python3` with the `protobuf` package; `PYTHON` overrides the interpreter).
@Suite("Cross-check with Python google.protobuf")
struct PythonCrossCheckTests {
    /// Python parses the Swift bytes with the descriptor sets, checks every field is known,
    /// and re-encodes them deterministically.
    static let script = #"""
        import sys
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
        pool = descriptor_pool.DescriptorPool()
        for path in sys.argv[1:3]:
            fds = descriptor_pb2.FileDescriptorSet.FromString(open(path, "rb").read())
            for f in fds.file:
                pool.Add(f)
        out = []
        for line in open(sys.argv[3]):
            name, data = line.split(" ")
            cls = message_factory.GetMessageClass(pool.FindMessageTypeByName(name))
            message = cls()
            message.ParseFromString(bytes.fromhex(data.strip()))
            known = cls()
            known.CopyFrom(message)
            known.DiscardUnknownFields()
            if known.SerializeToString(deterministic=True) != message.SerializeToString(deterministic=True):
                sys.exit("unknown fields in " + name)
            # Does the message hold a non-empty map? Map encodings may legitimately differ:
            # Python writes the default key and value of an entry, protobuf-c (proto3 rules
            # for the entry message) leaves them out, and upb's "deterministic" entry order
            # is its own (protobuf-c output here is sorted like C++: bytes, numbers).
            def has_map(m):
                for field, value in m.ListFields():
                    if field.message_type is None:
                        continue
                    if field.message_type.GetOptions().map_entry:
                        return True
                    if (field.is_repeated if hasattr(field, "is_repeated") else field.label == 3):
                        if any(has_map(v) for v in value):
                            return True
                    elif has_map(value):
                        return True
                return False
            out.append(message.SerializeToString(deterministic=True).hex() + " " + ("m" if has_map(message) else "-"))
        open(sys.argv[4], "w").write("\n".join(out) + "\n")
        """#

    @Test("Python decodes Swift's bytes of every message type, and Swift decodes Python's re-encoding to the same value")
    func everyMessageType() throws {
        var inputs: [(name: String, bytes: [UInt8], check: ([UInt8]) throws -> Bool)] = []
        for messageType in MessageType.all {
            inputs += Self.samples(messageType.type)
        }
        let reencoded = try Self.runPythonFlagged(inputs.map { ($0.name, $0.bytes) })
        #expect(reencoded.count == inputs.count)
        for (input, python) in zip(inputs, reencoded) {
            #expect(try input.check(python.bytes), "\(input.name): Python's re-encoding decodes to another value")
            // Byte-identical, except for messages holding maps (see the script).
            #expect(python.bytes == input.bytes || python.hasMap, "\(input.name): encodings differ")
        }
    }

    @Test("fixed messages without maps are byte-identical to Python's encoding")
    func fixedMessagesByteIdentical() throws {
        var response = Grpc_Health_V1_HealthCheckResponse()
        response.status = .notServing
        var request = Grpc_Testing_SimpleRequest()
        request.responseType = .compressable
        request.responseSize = 314_159
        request.payload = Grpc_Testing_Payload()
        request.payload?.body = [UInt8](repeating: 0, count: 271)
        request.fillUsername = true
        request.responseStatus = Grpc_Testing_EchoStatus()
        request.responseStatus?.code = -2
        request.responseStatus?.message = "e\u{301}🇸🇪"
        var reflection = Grpc_Reflection_V1_ServerReflectionResponse()
        reflection.validHost = "h"
        reflection.fileDescriptorResponse = Grpc_Reflection_V1_FileDescriptorResponse()
        reflection.fileDescriptorResponse.fileDescriptorProto = ProtoReflectionData.files.map(\.serializedDescriptor)
        let samples: [(String, [UInt8])] = [
            (Grpc_Health_V1_HealthCheckResponse.protoMessageName, response.serializedBytes()),
            (Grpc_Testing_SimpleRequest.protoMessageName, request.serializedBytes()),
            (Grpc_Reflection_V1_ServerReflectionResponse.protoMessageName, reflection.serializedBytes()),
        ]
        let reencoded = try Self.runPython(samples)
        #expect(reencoded.map { $0 } == samples.map(\.1))
    }

    private static func samples<T: ArbitraryMessage>(_ type: T.Type) -> [(name: String, bytes: [UInt8], check: ([UInt8]) throws -> Bool)] {
        var rng = SeededGenerator(name: T.protoMessageName, salt: 2024)
        return (0..<6).map { iteration in
            let value = T.arbitrary(using: &rng, depth: iteration % 3)
            return (T.protoMessageName, value.serializedBytes(), { bytes in try T(serializedBytes: bytes) == value })
        }
    }

    private static func runPython(_ inputs: [(String, [UInt8])]) throws -> [[UInt8]] {
        try runPythonFlagged(inputs).map(\.bytes)
    }

    /// Python's deterministic re-encoding of each input, and whether it holds a map.
    private static func runPythonFlagged(_ inputs: [(String, [UInt8])]) throws -> [(bytes: [UInt8], hasMap: Bool)] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-protos-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("in.txt")
        let output = directory.appendingPathComponent("out.txt")
        let lines = inputs.map { "\($0.0) \(hex($0.1))" }.joined(separator: "\n") + "\n"
        try lines.write(to: input, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            ProcessInfo.processInfo.environment["PYTHON"] ?? "python3", "-c", script,
            packageRoot.appendingPathComponent("Protos/generated/herald.protoset").path,
            packageRoot.appendingPathComponent("Tests/HeraldProtosTests/Fixtures/fixture.protoset").path,
            input.path, output.path,
        ]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "python3 failed (is the protobuf package installed?)")
        let text = try String(contentsOf: output, encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            return (unhex(parts[0]), parts[1] == "m")
        }
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.isEmpty ? "" : bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    private static func unhex(_ text: Substring) -> [UInt8] {
        var result: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            result.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return result
    }
}
