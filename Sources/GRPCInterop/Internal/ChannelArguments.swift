internal import CGRPC

/// A `grpc_channel_args` built from Swift values. Keys and string values are
/// copied; the core copies the whole set when a channel or server is created, so
/// this object only needs to live across that call.
final class ChannelArguments {
    enum Value {
        case integer(Int32)
        case string(String)
    }

    private var args: UnsafeMutablePointer<grpc_arg>
    private var strings: [UnsafeMutablePointer<CChar>] = []
    private let count: Int

    init(_ values: [(String, Value)]) {
        count = values.count
        args = .allocate(capacity: max(count, 1))
        for (index, (key, value)) in values.enumerated() {
            var arg = grpc_arg()
            let keyCopy = strdup(key)!
            strings.append(keyCopy)
            arg.key = keyCopy
            switch value {
            case .integer(let integer):
                arg.type = GRPC_ARG_INTEGER
                arg.value.integer = integer
            case .string(let string):
                let valueCopy = strdup(string)!
                strings.append(valueCopy)
                arg.type = GRPC_ARG_STRING
                arg.value.string = valueCopy
            }
            (args + index).initialize(to: arg)
        }
    }

    /// Lends the `grpc_channel_args` for the duration of `body`.
    func withUnsafeArgs<R>(_ body: (UnsafePointer<grpc_channel_args>) throws -> R) rethrows -> R {
        var channelArgs = grpc_channel_args(num_args: count, args: args)
        return try withUnsafePointer(to: &channelArgs) { try body($0) }
    }

    deinit {
        args.deinitialize(count: count)
        args.deallocate()
        for string in strings { free(string) }
    }
}

extension Duration {
    /// Whole milliseconds, clamped to `Int32` for channel arguments.
    var clampedMilliseconds: Int32 {
        let (seconds, attoseconds) = components
        let millis = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return Int32(clamping: millis)
    }
}

extension gpr_timespec {
    /// A monotonic deadline `duration` from now.
    static func fromNow(_ duration: Duration) -> gpr_timespec {
        let (seconds, attoseconds) = duration.components
        let nanos = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let total = nanos.overflow ? Int64.max : nanos.partialValue.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
        return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_nanos(total, GPR_TIMESPAN))
    }

    /// Time left until this deadline (negative when past), or `nil` when infinite.
    var remaining: Duration? {
        var deadline = self
        if gpr_time_cmp(deadline, gpr_inf_future(deadline.clock_type)) == 0 { return nil }
        deadline = gpr_convert_clock_type(deadline, GPR_CLOCK_MONOTONIC)
        let diff = gpr_time_sub(deadline, gpr_now(GPR_CLOCK_MONOTONIC))
        return .seconds(diff.tv_sec) + .nanoseconds(Int64(diff.tv_nsec))
    }
}
