import Foundation
import HeraldProtos
import Testing

/// Checks the JSON mapping against Python's `google.protobuf.json_format` (needs
/// `python3` with the `protobuf` package; `PYTHON` overrides the interpreter).
@Suite("JSON cross-check with Python json_format")
struct JSONPythonCrossCheckTests {
    /// Python parses each Swift JSON text into the message, then writes the message's
    /// binary encoding and its own JSON text.
    static let script = #"""
        import sys
        from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
        pool = descriptor_pool.DescriptorPool()
        fds = descriptor_pb2.FileDescriptorSet.FromString(open(sys.argv[1], "rb").read())
        for f in fds.file:
            pool.Add(f)
        out = []
        for line in open(sys.argv[2], encoding="utf-8"):
            name, text = line.rstrip("\n").split(" ", 1)
            cls = message_factory.GetMessageClass(pool.FindMessageTypeByName(name))
            message = json_format.Parse(text, cls())
            python_json = json_format.MessageToJson(message, indent=None, ensure_ascii=False)
            out.append(message.SerializeToString(deterministic=True).hex() + " " + python_json.replace("\n", " "))
        open(sys.argv[3], "w", encoding="utf-8").write("\n".join(out) + "\n")
        """#

    @Test("Python parses Swift's JSON of every herald.v1 message to the same message, and Swift parses Python's JSON back")
    func heraldMessages() throws {
        var samples: [Sample] = []
        for messageType in MessageType.all where messageType.type.protoMessageName.hasPrefix("herald.v1.") {
            samples += Self.samples(messageType.type)
        }
        let results = try Self.runPython(samples.map { ($0.name, $0.json) })
        #expect(results.count == samples.count)
        for (sample, result) in zip(samples, results) {
            #expect(try sample.checkBytes(result.bytes), "\(sample.name): Python read \(sample.json) as another message")
            #expect(try sample.checkJSON(result.json), "\(sample.name): Swift reads Python's \(result.json) as another message")
        }
    }

    private struct Sample {
        var name: String
        var json: String
        var checkBytes: ([UInt8]) throws -> Bool
        var checkJSON: (String) throws -> Bool
    }

    private static func samples<T: ArbitraryMessage>(_ type: T.Type) -> [Sample] {
        var rng = SeededGenerator(name: T.protoMessageName, salt: 3339)
        return (0..<8).map { iteration in
            let value = T.arbitrary(using: &rng, depth: iteration % 4)
            return Sample(
                name: T.protoMessageName, json: value.jsonText(),
                checkBytes: { bytes in try T(serializedBytes: bytes) == value },
                checkJSON: { text in try T(jsonText: text) == value }
            )
        }
    }

    private static func runPython(_ inputs: [(String, String)]) throws -> [(bytes: [UInt8], json: String)] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-json-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("in.txt")
        let output = directory.appendingPathComponent("out.txt")
        try (inputs.map { "\($0.0) \($0.1)" }.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            ProcessInfo.processInfo.environment["PYTHON"] ?? "python3", "-c", script,
            packageRoot.appendingPathComponent("Protos/generated/herald.protoset").path, input.path, output.path,
        ]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "python3 failed (is the protobuf package installed?)")
        let text = try String(contentsOf: output, encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
            let space = line.firstIndex(of: " ")!
            return (unhex(line[..<space]), String(line[line.index(after: space)...]))
        }
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
