internal import Foundation
internal import Synchronization

/// Writes captured messages as `<directory>/<timestamp>-<counter>.eml`, each through a
/// temporary file and a rename, so a reader never sees half a message. Also holds the
/// relay's statistics.
final class CaptureStore: Sendable {
    let directory: URL
    private let counter = Mutex(0)
    let statistics = Mutex(CaptureRelay.Statistics())

    init(directory: String) throws {
        self.directory = URL(fileURLWithPath: directory, isDirectory: true)
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
    }

    /// Stores one message with its envelope in `X-Herald-Envelope-From` and
    /// `X-Herald-Envelope-To` headers before the message's own; returns the file name.
    /// Blocking: call it from a thread pool.
    func store(sender: String, recipients: [String], data: [UInt8]) throws -> String {
        let number = counter.withLock { value -> Int in
            value += 1
            return value
        }
        let stamp = Self.timestamp()
        let name = "\(stamp)-\(String(repeating: "0", count: max(0, 6 - String(number).count)))\(number).eml"
        var envelope = "X-Herald-Envelope-From: <\(sender)>\r\n"
        for recipient in recipients { envelope += "X-Herald-Envelope-To: <\(recipient)>\r\n" }
        var bytes = Data(envelope.utf8)
        bytes.append(contentsOf: data)
        let temporary = directory.appendingPathComponent(".\(name).tmp")
        try bytes.write(to: temporary)
        try FileManager.default.moveItem(at: temporary, to: directory.appendingPathComponent(name))
        return name
    }

    /// UTC `20260521T101112.123Z`.
    private static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date()).filter { $0 != "-" && $0 != ":" }
    }
}
