import ArgumentParser
import Foundation
import GRPCInterop
import HeraldProtos

/// An error of the client itself (a file it cannot read, input it cannot parse), with the
/// exit code it stands for.
struct Failure: Error, CustomStringConvertible {
    /// What went wrong, in one line.
    var message: String
    /// The process exit code.
    var exitCode: Int32

    /// Bad input given by the user (file contents, option values): exit code 4.
    static func invalidArgument(_ message: String) -> Failure {
        Failure(message: "INVALID_ARGUMENT: \(message)", exitCode: ExitCodes.invalidArgument)
    }

    /// Anything else: exit code 1.
    static func other(_ message: String) -> Failure {
        Failure(message: message, exitCode: ExitCodes.other)
    }

    var description: String { message }

    /// Prints `error` the way `herald` reports errors and returns the exit code.
    static func report(_ error: any Error) -> Int32 {
        switch error {
        case let failure as Failure:
            Terminal.printError(failure.message)
            return failure.exitCode
        case let rpc as RPCError:
            Terminal.printError(rpc.message.isEmpty ? "\(rpc.code)" : "\(rpc.code): \(oneLine(rpc.message))")
            return ExitCodes.of(rpc.code)
        case let json as ProtoJSONError:
            Terminal.printError("INVALID_ARGUMENT: \(json.message)")
            return ExitCodes.invalidArgument
        default:
            let code = Herald.exitCode(for: error)
            let message = Herald.fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                return 0
            }
            if code == .validationFailure {
                FileHandle.standardError.write(Data((message + "\n").utf8))
                return ExitCodes.usage
            }
            if !message.isEmpty { Terminal.printError(oneLine(message)) }
            return code.rawValue
        }
    }

    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

/// The exit codes of `herald`.
enum ExitCodes {
    static let other: Int32 = 1
    static let usage: Int32 = 2
    static let notFound: Int32 = 3
    static let invalidArgument: Int32 = 4
    static let unavailable: Int32 = 5

    /// The exit code for a gRPC status: NOT_FOUND 3; INVALID_ARGUMENT, FAILED_PRECONDITION,
    /// OUT_OF_RANGE and ALREADY_EXISTS 4; UNAVAILABLE and DEADLINE_EXCEEDED 5; others 1.
    static func of(_ code: RPCError.Code) -> Int32 {
        switch code {
        case .notFound: notFound
        case .invalidArgument, .failedPrecondition, .outOfRange, .alreadyExists: invalidArgument
        case .unavailable, .deadlineExceeded: unavailable
        default: other
        }
    }
}
