import HeraldProtos
import HeraldTestProtos
import Testing

@Suite("Malformed input never crashes the decoder")
struct MalformedInputTests {
    @Test("random bytes decode to an error or a value that round-trips", arguments: MessageType.all)
    func randomBytes(_ messageType: MessageType) {
        Self.decodeRandomBytes(messageType.type)
    }

    @Test("every truncation of valid encodings decodes to an error or a value", arguments: MessageType.all)
    func truncations(_ messageType: MessageType) throws {
        try Self.decodeTruncations(messageType.type)
    }

    @Test("a string that is not UTF-8 is an error naming the message")
    func invalidUTF8() {
        // HealthCheckRequest.service (field 1, length-delimited) = FF FE.
        #expect {
            try Grpc_Health_V1_HealthCheckRequest(serializedBytes: [0x0A, 0x02, 0xFF, 0xFE])
        } throws: { error in
            guard let error = error as? ProtobufDecodingError else { return false }
            return error.code == .invalidUTF8
                && error.messageName == "grpc.health.v1.HealthCheckRequest"
                && error.field == "grpc.health.v1.HealthCheckRequest.service"
                && error.description.contains("grpc.health.v1.HealthCheckRequest")
        }
    }

    @Test("bytes that are not protobuf are an error naming the message")
    func malformed() {
        // Field 1 declares 5 bytes, 1 follows.
        #expect {
            try Grpc_Health_V1_HealthCheckRequest(serializedBytes: [0x0A, 0x05, 0x61])
        } throws: { error in
            guard let error = error as? ProtobufDecodingError else { return false }
            return error.code == .malformed && error.description.contains("grpc.health.v1.HealthCheckRequest")
        }
    }

    @Test("a wrong wire type for a known field is an error")
    func wrongWireType() {
        // HealthCheckResponse.status (field 1) sent as length-delimited.
        #expect(throws: ProtobufDecodingError.self) {
            try Grpc_Health_V1_HealthCheckResponse(serializedBytes: [0x0A, 0x01, 0x01])
        }
    }

    @Test("unknown fields are skipped")
    func unknownFields() throws {
        // Field 15 varint 7, then status = SERVING.
        let response = try Grpc_Health_V1_HealthCheckResponse(serializedBytes: [0x78, 0x07, 0x08, 0x01])
        #expect(response.status == .serving)
    }

    private static func decodeRandomBytes<T: ArbitraryMessage>(_ type: T.Type) {
        var rng = SeededGenerator(name: T.protoMessageName, salt: 77)
        for _ in 0..<300 {
            let count = Int(rng.next(upperBound: UInt(48)))
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if let value = try? T(serializedBytes: bytes) {
                let again = value.serializedBytes()
                #expect((try? T(serializedBytes: again))?.serializedBytes() == again)
            }
        }
    }

    private static func decodeTruncations<T: ArbitraryMessage>(_ type: T.Type) throws {
        var rng = SeededGenerator(name: T.protoMessageName, salt: 99)
        for depth in 1...3 {
            let bytes = T.arbitrary(using: &rng, depth: depth).serializedBytes()
            for end in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 1500)) {
                if let value = try? T(serializedBytes: Array(bytes[..<end])) {
                    let again = value.serializedBytes()
                #expect((try? T(serializedBytes: again))?.serializedBytes() == again)
                }
            }
            #expect(try T(serializedBytes: bytes).serializedBytes() == bytes)
        }
    }
}
