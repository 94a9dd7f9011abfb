import HeraldProtos
import Testing

/// A message that can make random values of itself; conformances are generated (see
/// `Generated/Arbitrary+*.swift`).
protocol ArbitraryMessage: ProtoJSONMessage, Hashable {
    /// A random value with every field filled: nested messages down to `depth`, repeated
    /// fields and maps of 10,000 elements at this level when `large`.
    static func arbitrary(using rng: inout some RandomNumberGenerator, depth: Int, large: Bool) -> Self
}

extension ArbitraryMessage {
    static func arbitrary(using rng: inout some RandomNumberGenerator, depth: Int) -> Self {
        arbitrary(using: &rng, depth: depth, large: false)
    }
}

/// A message type as a test argument, named after its proto name.
struct MessageType: Sendable, CustomTestStringConvertible {
    let type: any ArbitraryMessage.Type

    var testDescription: String { type.protoMessageName }

    /// Every message of HeraldProtos, then every fixture message.
    static let all: [MessageType] = (AllMessageTypes.all + AllFixtureMessageTypes.all).map(MessageType.init)
}
