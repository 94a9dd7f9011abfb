import HeraldCore
import HeraldProtos

extension Timestamp {
    /// The range `google.protobuf.Timestamp` allows: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
    static let protoSecondsRange: ClosedRange<Int64> = -62_135_596_800...253_402_300_799

    /// Converts a request's timestamp; `field` names it in the error.
    ///
    /// - Throws: ``HeraldError/Code/invalidArgument`` outside the range of
    ///   `google.protobuf.Timestamp` or with nanos outside `0..<1_000_000_000`.
    init(proto: Google_Protobuf_Timestamp, field: String) throws(HeraldError) {
        guard Self.protoSecondsRange.contains(proto.seconds) else {
            throw .invalidArgument("\(field): seconds \(proto.seconds) is outside 0001-01-01 ... 9999-12-31")
        }
        guard (0..<1_000_000_000).contains(proto.nanos) else {
            throw .invalidArgument("\(field): nanos \(proto.nanos) is outside 0 ..< 1000000000")
        }
        self.init(seconds: proto.seconds, nanoseconds: proto.nanos)
    }

    /// This timestamp as a `google.protobuf.Timestamp`.
    var proto: Google_Protobuf_Timestamp {
        var message = Google_Protobuf_Timestamp()
        message.seconds = seconds
        message.nanos = nanoseconds
        return message
    }
}
