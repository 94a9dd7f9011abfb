import Foundation

/// A server process started by a test; ``stop()`` terminates it and waits (bounded).
final class ChildProcess {
    private let process = Process()

    init(_ executable: String, _ arguments: [String], output: URL? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let output {
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            let handle = try FileHandle(forWritingTo: output)
            process.standardOutput = handle
            process.standardError = handle
        } else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Sends SIGTERM, then SIGKILL after 500 ms, and waits for the end. (A child of the
    /// test process may start with SIGTERM blocked, inherited from the runtime's
    /// threads: seen with smtp-sink, which then ignored it.)
    func stop() async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .milliseconds(500)
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
