import HeraldProtos
import Testing

@Suite("Round trip of every message type")
struct RoundTripTests {
    @Test("random values survive encode then decode, and re-encode to the same bytes", arguments: MessageType.all)
    func randomValues(_ messageType: MessageType) throws {
        try Self.roundTripRandom(messageType.type, iterations: 120)
    }

    @Test("10,000-element repeated fields and maps survive encode then decode", arguments: MessageType.all)
    func largeRepeatedFields(_ messageType: MessageType) throws {
        try Self.roundTripLarge(messageType.type)
    }

    @Test("the default value encodes to no bytes, and no bytes decode to it", arguments: MessageType.all)
    func defaultValue(_ messageType: MessageType) throws {
        try Self.checkDefault(messageType.type)
    }

    private static func roundTripRandom<T: ArbitraryMessage>(_ type: T.Type, iterations: Int) throws {
        var rng = SeededGenerator(name: T.protoMessageName)
        for iteration in 0..<iterations {
            let value = T.arbitrary(using: &rng, depth: iteration % 4)
            let bytes = value.serializedBytes()
            let decoded = try T(serializedBytes: bytes)
            #expect(decoded == value, "iteration \(iteration)")
            #expect(decoded.serializedBytes() == bytes, "iteration \(iteration)")
        }
    }

    private static func roundTripLarge<T: ArbitraryMessage>(_ type: T.Type) throws {
        var rng = SeededGenerator(name: T.protoMessageName, salt: 10_000)
        let value = T.arbitrary(using: &rng, depth: 1, large: true)
        let decoded = try T(serializedBytes: value.serializedBytes())
        #expect(decoded == value)
    }

    private static func checkDefault<T: ArbitraryMessage>(_ type: T.Type) throws {
        #expect(T().serializedBytes() == [])
        #expect(try T(serializedBytes: []) == T())
    }
}
