// The store's cost per sent message (`make bench-ledger`): a real SQLite file with
// deliveries of N PENDING messages beside H earlier deliveries already SENT (the
// history a pressure rule counts); SENT outcomes applied with applyLedgerUpdates in
// groups of 2, 4 and 8 by a few concurrent tasks (as the sending lanes' group commits
// do; bench-send's groups hold about 2), and the batch reads the sender does per message
// (pendingEntries, the batch's profiles, quarantinedAddresses). Prints µs of CPU and wall
// per update or message, context switches, bytes written, log frames (pages) per
// transaction, checkpoints run and the log's largest size; the pages of the ledger's
// B-trees and their unused bytes before and after sending; and the typology pressure
// query (sentMessageCounts over every profile, in the preparation's batches of 5,000).
//
//   swift run -c release HeraldBenchLedger [messages (100000)] [tasks (2)] [read batch (100)]
//
// HERALD_BENCH_WAL_MIB sets the store's log limit (walLimitBytes, 64 MiB by default);
// HERALD_BENCH_GROUPS the group sizes (default "2,4,8"); HERALD_BENCH_HISTORY the earlier
// SENT deliveries (default 4); HERALD_BENCH_CACHE_KIB,
// HERALD_BENCH_WRITER_CACHE_KIB and HERALD_BENCH_MMAP the store's cacheSizeKiB,
// writerCacheSizeKiB and mmapSizeBytes.
import Foundation
import HeraldCore
import HeraldStore
import Logging
import Synchronization

let arguments = CommandLine.arguments
let count = arguments.count > 1 ? Int(arguments[1]) ?? 100_000 : 100_000
let tasks = arguments.count > 2 ? Int(arguments[2]) ?? 2 : 2
let readBatch = arguments.count > 3 ? Int(arguments[3]) ?? 100 : 100
let history = max(0, ProcessInfo.processInfo.environment["HERALD_BENCH_HISTORY"].flatMap { Int($0) } ?? 4)
let groupSizes = (ProcessInfo.processInfo.environment["HERALD_BENCH_GROUPS"] ?? "2,4,8").split(separator: ",").compactMap { Int($0) }
    .filter { $0 > 0 }

/// What the process used so far: CPU seconds, context switches, bytes passed to write calls.
struct Usage {
    var cpu: Double
    var switches: Int
    var written: Int

    static func now() -> Usage {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        var written = 0
        if let io = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) {
            for line in io.split(separator: "\n") where line.hasPrefix("wchar:") {
                written = Int(line.split(separator: " ").last ?? "") ?? 0
            }
        }
        return Usage(cpu: cpu, switches: usage.ru_nvcsw + usage.ru_nivcsw, written: written)
    }
}

/// What the committing tasks share: the next group to apply, the largest log seen.
final class Shared: Sendable {
    let nextGroup = Atomic<Int>(0)
    let largestLog = Atomic<Int>(0)
}

func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

func wallSeconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
}

let directory = NSTemporaryDirectory() + "herald-bench-ledger-\(getpid())"
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }
let path = directory + "/herald.sqlite"
var logger = Logger(label: "bench-ledger")
logger.logLevel = .warning
var configuration = SQLiteStore.Configuration.defaults
if let megabytes = ProcessInfo.processInfo.environment["HERALD_BENCH_WAL_MIB"].flatMap({ Int($0) }) {
    configuration.walLimitBytes = megabytes << 20
}
if let kib = ProcessInfo.processInfo.environment["HERALD_BENCH_CACHE_KIB"].flatMap({ Int($0) }) {
    configuration.cacheSizeKiB = kib
}
if let kib = ProcessInfo.processInfo.environment["HERALD_BENCH_WRITER_CACHE_KIB"].flatMap({ Int($0) }) {
    configuration.writerCacheSizeKiB = kib
}
if let bytes = ProcessInfo.processInfo.environment["HERALD_BENCH_MMAP"].flatMap({ Int($0) }) {
    configuration.mmapSizeBytes = bytes
}
let store = try SQLiteStore(path: path, configuration: configuration, logger: logger)
let clock = ContinuousClock()
let time = Timestamp(seconds: 1_767_225_600)

func profileID(_ i: Int) -> String {
    let digits = String(i)
    return "p" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}

/// The ledger's B-trees: pages, and the share of their bytes unused.
func printPages(_ label: String) async throws {
    let names = ["messages", "messages_sent", "messages_profile"]
    let usage = try await store.pageUsage(of: names)
    let parts = names.compactMap { name in
        usage[name].map { "\(name) \($0.pages) pages (\(format(Double($0.unusedBytes) / Double(max(1, $0.pages) * 4096) * 100))% unused)" }
    }
    print("pages \(label): " + parts.joined(separator: ", "))
}

// Setup: the profiles, `history` deliveries of `count` SENT messages, then one delivery of
// `count` PENDING messages per group size, in profile order as a preparation writes them.
let setupStart = clock.now
for start in stride(from: 0, to: count, by: 10_000) {
    let batch = (start..<min(start + 10_000, count)).map { i in
        Profile(
            id: profileID(i), email: "user\(i)@mail\(i % 97).example.com", firstName: "First\(i % 1000)",
            lastName: "Last\(i % 777)", attributes: ["city": "Stockholm", "plan": "plan\(i % 4)"]
        )
    }
    _ = try await store.upsertProfiles(batch, at: time)
}
let deliveryIDs = (0..<history).map { "h\($0 + 1)" } + groupSizes.map { "g\($0)" }
var appendCPU = 0.0
for deliveryID in deliveryIDs {
    // History delivery hK was sent K days before `time`, with the relay's reply.
    let sentTime = deliveryID.hasPrefix("h") ? Timestamp(seconds: time.seconds - 86_400 * Int64(deliveryID.dropFirst())!) : nil
    for start in stride(from: 0, to: count, by: 10_000) {
        let range = start..<min(start + 10_000, count)
        let cpu = Usage.now().cpu
        try await store.appendMessages(range.map { i in
            PreparedMessage(
                deliveryID: deliveryID, sequence: i + 1, profileID: profileID(i), address: "user\(i)@mail\(i % 97).example.com",
                trackingID: "\(deliveryID).\(i + 1)"
            )
        })
        if sentTime == nil { appendCPU += Usage.now().cpu - cpu }
        if let sentTime {
            for first in stride(from: range.lowerBound + 1, through: range.upperBound, by: 1_000) {
                try await store.applyLedgerUpdates((first..<min(first + 1_000, range.upperBound + 1)).map { sequence in
                    .sent(sequence: sequence, attempts: 1, reply: "250 2.0.0 Ok: queued as 4F\(sequence)A", time: sentTime)
                }, deliveryID: deliveryID)
            }
        }
    }
}
print(
    "setup: \(count) profiles, \(history) SENT deliveries and \(groupSizes.count) of PENDING messages (\(count) each), "
        + "\(format(wallSeconds(clock.now - setupStart), 2)) s; appendMessages \(format(appendCPU / Double(count * groupSizes.count) * 1e6, 2)) "
        + "µs CPU per PENDING message"
)
try await printPages("before sending")
print("tasks: \(tasks); load: \((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?")")

// The sender's batch reads, per message: a batch of PENDING rows, their profiles, the
// quarantine probe (bounded: the first 20,000 rows of the first delivery).
do {
    let readCount = min(count, 20_000)
    let before = Usage.now()
    let start = clock.now
    var cursor = 0
    var read = 0
    // CPU seconds of each read: pending rows, quarantine probe, profiles.
    var parts = [0.0, 0.0, 0.0]
    while read < readCount {
        var mark = Usage.now().cpu
        func lap(_ part: Int) {
            let now = Usage.now().cpu
            parts[part] += now - mark
            mark = now
        }
        let entries = try await store.pendingEntries(deliveryID: "g\(groupSizes[0])", after: cursor, limit: readBatch)
        lap(0)
        guard let last = entries.last else { break }
        _ = try await store.quarantinedAddresses(among: entries.map(\.message.address))
        lap(1)
        let profiles = try await store.profiles(ids: entries.map(\.message.profileID))
        lap(2)
        precondition(profiles.count == entries.count, "profiles missing")
        cursor = last.message.sequence
        read += entries.count
    }
    let wall = wallSeconds(clock.now - start)
    let after = Usage.now()
    let perMessage = parts.map { format($0 / Double(read) * 1e6, 2) }
    print(
        "reads (batches of \(readBatch)): \(format((after.cpu - before.cpu) / Double(read) * 1e6, 2)) µs CPU, "
            + "\(format(wall / Double(read) * 1e6, 2)) µs wall per message over \(read) "
            + "(pendingEntries \(perMessage[0]), quarantinedAddresses \(perMessage[1]), profiles \(perMessage[2]) µs CPU)"
    )
}

// The group commits.
for size in groupSizes {
    let deliveryID = "g\(size)"
    let groups = (count + size - 1) / size
    let shared = Shared()
    let checkpointsBefore = store.checkpointsRun
    let committedBefore = store.committedTransactions
    let before = Usage.now()
    let start = clock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<tasks {
            group.addTask {
                while true {
                    let index = shared.nextGroup.add(1, ordering: .relaxed).oldValue
                    guard index < groups else { return }
                    let first = index * size + 1
                    let updates = (first..<min(first + size, count + 1)).map { sequence in
                        LedgerUpdate.sent(
                            sequence: sequence, attempts: 1, reply: "250 2.0.0 Ok: queued as 4F\(sequence)A", time: time
                        )
                    }
                    try await store.applyLedgerUpdates(updates, deliveryID: deliveryID)
                    shared.largestLog.max(store.logFramesAfterLastCommit, ordering: .relaxed)
                }
            }
        }
        try await group.waitForAll()
    }
    let wall = wallSeconds(clock.now - start)
    let after = Usage.now()
    let counts = try await store.sendingCounts(deliveryID: deliveryID)
    precondition(counts.sent == count && counts.pending == 0, "not every update applied: \(counts)")
    let updates = Double(count)
    let committed = store.committedTransactions
    let transactions = committed.transactions - committedBefore.transactions
    let frames = committed.frames - committedBefore.frames
    print(
        "groups of \(size): \(format((after.cpu - before.cpu) / updates * 1e6, 2)) µs CPU, \(format(wall / updates * 1e6, 2)) µs wall, "
            + "\(format(Double(after.switches - before.switches) / updates, 2)) context switches, "
            + "\(format(Double(after.written - before.written) / updates / 1024, 2)) KiB written per update; "
            + "\(transactions) transactions, \(format(Double(frames) / Double(max(1, transactions)), 2)) log frames per transaction; "
            + "\(store.checkpointsRun - checkpointsBefore) checkpoints, largest log \(shared.largestLog.load(ordering: .relaxed)) frames, "
            + "WAL file \(fileSize(path + "-wal") >> 20) MiB"
    )
}
try await printPages("after sending")

// The typology pressure query: SENT messages per profile since a time, for every
// profile in the preparation's batches of 5,000 (each profile has one message in each
// delivery): since 1,000 days (every SENT message) and since 7 days (the history's first
// 7 deliveries and the ones just sent).
for days in [1_000, 7] {
    let since = Timestamp(seconds: time.seconds - 86_400 * Int64(days))
    let expected = count * (groupSizes.count + min(history, days))
    let before = Usage.now()
    let start = clock.now
    var total = 0
    for first in stride(from: 0, to: count, by: 5_000) {
        let ids = (first..<min(first + 5_000, count)).map(profileID)
        let counts = try await store.sentMessageCounts(profileIDs: ids, since: since)
        total += counts.values.reduce(0, +)
    }
    let wall = wallSeconds(clock.now - start)
    let after = Usage.now()
    precondition(total == expected, "sentMessageCounts counted \(total), expected \(expected)")
    print(
        "pressure query (sentMessageCounts since \(days) days: \(expected / count) of \(deliveryIDs.count) messages per profile): "
            + "\(format((after.cpu - before.cpu) / Double(count) * 1e6, 2)) µs CPU, \(format(wall / Double(count) * 1e6, 2)) µs wall per profile"
    )
}
try store.close()
