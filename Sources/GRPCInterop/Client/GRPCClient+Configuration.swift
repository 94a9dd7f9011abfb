extension GRPCClient {
    /// How a ``GRPCClient`` connects.
    public struct Configuration: Sendable {
        /// Largest response message accepted (RESOURCE_EXHAUSTED above it).
        public var maxReceiveMessageLength: Int
        /// Largest request message sent.
        public var maxSendMessageLength: Int
        /// Interval of keepalive pings (`nil`: none).
        public var keepaliveTime: Duration?
        /// How long to wait for a keepalive ack.
        public var keepaliveTimeout: Duration

        public init(
            maxReceiveMessageLength: Int = 4 * 1024 * 1024,
            maxSendMessageLength: Int = 4 * 1024 * 1024,
            keepaliveTime: Duration? = nil,
            keepaliveTimeout: Duration = .seconds(20)
        ) {
            self.maxReceiveMessageLength = maxReceiveMessageLength
            self.maxSendMessageLength = maxSendMessageLength
            self.keepaliveTime = keepaliveTime
            self.keepaliveTimeout = keepaliveTimeout
        }

        /// The defaults above. The core's transparent retries stay on: a call that
        /// never left the client (e.g. it met a GOAWAY while connecting) is retried.
        public static var defaults: Configuration { Configuration() }

        var channelArguments: ChannelArguments {
            var args: [(String, ChannelArguments.Value)] = [
                ("grpc.max_receive_message_length", .integer(Int32(clamping: maxReceiveMessageLength))),
                ("grpc.max_send_message_length", .integer(Int32(clamping: maxSendMessageLength))),
                ("grpc.keepalive_timeout_ms", .integer(keepaliveTimeout.clampedMilliseconds)),
                // Each client gets its own connection rather than sharing a subchannel
                // with other clients in the process (load tools open several).
                ("grpc.use_local_subchannel_pool", .integer(1)),
            ]
            if let keepaliveTime {
                args.append(("grpc.keepalive_time_ms", .integer(keepaliveTime.clampedMilliseconds)))
            }
            return ChannelArguments(args)
        }
    }
}
