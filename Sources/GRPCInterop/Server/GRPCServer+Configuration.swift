import Foundation

extension GRPCServer {
    /// How a ``GRPCServer`` listens and behaves.
    public struct Configuration: Sendable {
        /// `host:port` to listen on; port 0 picks a free port (see ``GRPCServer/port``).
        public var address: String
        /// Completion queues, each with its own poller thread. Defaults to one per core.
        public var completionQueueCount: Int
        /// Calls kept requested per registered method and queue (re-armed on arrival).
        public var requestedCallsPerMethod: Int
        /// Largest request message accepted; larger ones fail with RESOURCE_EXHAUSTED.
        public var maxReceiveMessageLength: Int
        /// Largest response message sent; larger ones fail with RESOURCE_EXHAUSTED.
        public var maxSendMessageLength: Int
        /// Interval of keepalive pings on idle connections (`nil`: the core's default).
        public var keepaliveTime: Duration?
        /// How long to wait for a keepalive ping's ack before closing the connection.
        public var keepaliveTimeout: Duration
        /// Whether clients may send keepalive pings when no call is open.
        public var permitKeepaliveWithoutCalls: Bool
        /// Connections older than this receive GOAWAY (`nil`: no limit).
        public var maxConnectionAge: Duration?
        /// Time given to calls on a connection that reached its maximum age.
        public var maxConnectionAgeGrace: Duration?
        /// Idle connections are closed after this (`nil`: never).
        public var maxConnectionIdle: Duration?
        /// Concurrent streams allowed per connection (`nil`: the core's default).
        public var maxConcurrentStreams: Int?
        /// How long in-flight calls may run after shutdown begins before they are
        /// cancelled.
        public var shutdownGracePeriod: Duration

        public init(
            address: String,
            completionQueueCount: Int? = nil,
            requestedCallsPerMethod: Int = 32,
            maxReceiveMessageLength: Int = 4 * 1024 * 1024,
            maxSendMessageLength: Int = 4 * 1024 * 1024,
            keepaliveTime: Duration? = nil,
            keepaliveTimeout: Duration = .seconds(20),
            permitKeepaliveWithoutCalls: Bool = false,
            maxConnectionAge: Duration? = nil,
            maxConnectionAgeGrace: Duration? = nil,
            maxConnectionIdle: Duration? = nil,
            maxConcurrentStreams: Int? = nil,
            shutdownGracePeriod: Duration = .seconds(10)
        ) {
            self.address = address
            self.completionQueueCount = completionQueueCount ?? max(1, ProcessInfo.processInfo.activeProcessorCount)
            self.requestedCallsPerMethod = requestedCallsPerMethod
            self.maxReceiveMessageLength = maxReceiveMessageLength
            self.maxSendMessageLength = maxSendMessageLength
            self.keepaliveTime = keepaliveTime
            self.keepaliveTimeout = keepaliveTimeout
            self.permitKeepaliveWithoutCalls = permitKeepaliveWithoutCalls
            self.maxConnectionAge = maxConnectionAge
            self.maxConnectionAgeGrace = maxConnectionAgeGrace
            self.maxConnectionIdle = maxConnectionIdle
            self.maxConcurrentStreams = maxConcurrentStreams
            self.shutdownGracePeriod = shutdownGracePeriod
        }

        /// Listens on 127.0.0.1:50051 with the defaults above.
        public static var defaults: Configuration { Configuration(address: "127.0.0.1:50051") }

        var channelArguments: ChannelArguments {
            var args: [(String, ChannelArguments.Value)] = [
                ("grpc.max_receive_message_length", .integer(Int32(clamping: maxReceiveMessageLength))),
                ("grpc.max_send_message_length", .integer(Int32(clamping: maxSendMessageLength))),
                ("grpc.keepalive_timeout_ms", .integer(keepaliveTimeout.clampedMilliseconds)),
                ("grpc.keepalive_permit_without_calls", .integer(permitKeepaliveWithoutCalls ? 1 : 0)),
                // A second server on a taken port must fail, not share it silently.
                ("grpc.so_reuseport", .integer(0)),
            ]
            if let keepaliveTime {
                args.append(("grpc.keepalive_time_ms", .integer(keepaliveTime.clampedMilliseconds)))
                // Accept client pings as often as we would send ours.
                args.append(("grpc.http2.min_ping_interval_without_data_ms", .integer(keepaliveTime.clampedMilliseconds)))
            }
            if let maxConnectionAge {
                args.append(("grpc.max_connection_age_ms", .integer(maxConnectionAge.clampedMilliseconds)))
            }
            if let maxConnectionAgeGrace {
                args.append(("grpc.max_connection_age_grace_ms", .integer(maxConnectionAgeGrace.clampedMilliseconds)))
            }
            if let maxConnectionIdle {
                args.append(("grpc.max_connection_idle_ms", .integer(maxConnectionIdle.clampedMilliseconds)))
            }
            if let maxConcurrentStreams {
                args.append(("grpc.max_concurrent_streams", .integer(Int32(clamping: maxConcurrentStreams))))
            }
            return ChannelArguments(args)
        }
    }
}
