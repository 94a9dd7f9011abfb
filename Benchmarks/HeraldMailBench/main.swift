// Throughput of HeraldMail's SMTPPool against Postfix's smtp-sink, beside smtp-source
// (Postfix's own fast client) with the same number of reused sessions to the same sink.
//
//     swift run -c release HeraldMailBench [messages] [sessions] [size]
//
// Defaults: 20000 messages of about 4096 bytes over 8 sessions. Needs smtp-sink and
// smtp-source (Debian postfix, installed by scripts/install-deps).
import Foundation
import HeraldMail
import Logging

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let messageCount = arguments.count > 0 ? arguments[0] : 20_000
let sessions = arguments.count > 1 ? arguments[1] : 8
let size = arguments.count > 2 ? arguments[2] : 4096

func which(_ name: String) -> String? {
    for folder in ((ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/usr/local/sbin").split(separator: ":") {
        let path = "\(folder)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}

func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

func launch(_ path: String, _ args: [String]) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = args
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}

guard let sinkPath = which("smtp-sink"), let sourcePath = which("smtp-source") else {
    print("smtp-sink and smtp-source are needed (Debian postfix: scripts/install-deps)")
    exit(1)
}
let port = freePort()
let sink = try launch(sinkPath, ["-u", "nobody", "127.0.0.1:\(port)", "256"])
defer { kill(sink.processIdentifier, SIGKILL) }
try await Task.sleep(for: .milliseconds(500))

// The floor: smtp-source, same count, size and number of reused sessions.
let sourceStart = ContinuousClock.now
let source = try launch(sourcePath, ["-d", "-s", "\(sessions)", "-m", "\(messageCount)", "-l", "\(size)", "127.0.0.1:\(port)"])
source.waitUntilExit()
let sourceSeconds = (ContinuousClock.now - sourceStart) / .seconds(1)

// Herald: rendered messages of about `size` bytes through the pool.
let filler = String(repeating: "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", count: max(1, (size - 760) / 58))
let data = MailMessage(
    from: MailAddress(name: "Herald", address: "news@herald.example"),
    to: MailAddress(name: "Bench", address: "bench@example.com"),
    subject: "Benchmark",
    htmlBody: "<p>\(filler)</p>",
    textBody: "",
    messageID: .stable(deliveryID: "bench", recipientID: "r", domain: "herald.example"),
    date: Date()
).rendered()
var logger = Logger(label: "herald.mail.bench")
logger.logLevel = .warning
let pool = SMTPPool(
    configuration: .init(relays: [SMTPRelay(host: "127.0.0.1", port: port)], maxSessions: sessions, maxSessionsPerDomain: sessions),
    logger: logger
)
/// One worker per session, each sending its share: what the sending engine will do.
func sendAll(_ pool: SMTPPool, data: [UInt8], count: Int, workers: Int) async -> Int {
    await withTaskGroup(of: Int.self) { group in
        for worker in 0..<workers {
            group.addTask {
                var sent = 0
                var i = worker
                while i < count {
                    if case .sent = await pool.send(OutgoingMessage(sender: "b@herald.example", recipient: "r\(i)@example.com", data: data)) { sent += 1 }
                    i += workers
                }
                return sent
            }
        }
        return await group.reduce(0, +)
    }
}
let heraldStart = ContinuousClock.now
let sent = await sendAll(pool, data: data, count: messageCount, workers: sessions)
let heraldSeconds = (ContinuousClock.now - heraldStart) / .seconds(1)
await pool.shutdown()

let sourceRate = Double(messageCount) / sourceSeconds
let heraldRate = Double(sent) / heraldSeconds
print("messages: \(messageCount) x \(size) bytes (Herald's are \(data.count) bytes), sessions: \(sessions)")
print(String(format: "smtp-source: %.2f s, %.0f msg/s", sourceSeconds, sourceRate))
print(String(format: "HeraldMail:  %.2f s, %.0f msg/s (%d sent, %d sessions opened)", heraldSeconds, heraldRate, sent, await pool.openedSessionCount))
print(String(format: "ratio: %.2f (target >= 0.8)", heraldRate / sourceRate))
