import ArgumentParser
import Foundation
import GRPCInterop
import HeraldProtos
import HeraldRPC

/// herald-bench: the client side of `make bench-store`.
///
/// Generates `count` reproducible profiles (email, names, 5 attributes, 0–3 tags), writes
/// them as CSV for the sqlite3 floor, serializes every UpsertProfiles batch up front (so
/// the timed phase only sends), imports them with a few batches in flight, then times
/// CountAudience for a 3-condition filter. Prints `key=value` lines for the run script.
@main
struct HeraldBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald-bench", abstract: "Imports generated profiles into heraldd through UpsertProfiles and times it.")

    @Option(help: "host:port of heraldd.")
    var target: String = "127.0.0.1:50051"

    @Option(help: "Profiles to import.")
    var count: Int = 1_000_000

    @Option(name: .customLong("batch-size"), help: "Profiles per UpsertProfiles call (at most 10,000).")
    var batchSize: Int = 10_000

    @Option(help: "Batches in flight.")
    var concurrency: Int = 3

    @Option(name: .customLong("csv-dir"), help: "Write profiles.csv and profile_tags.csv here (the sqlite3 floor's input).")
    var csvDirectory: String?

    @Option(help: "Filter timed with CountAudience.")
    var filter: String = #"attributes.country = "SE" AND attributes.age >= 30 AND tags HAS "vip""#

    @Option(name: .customLong("count-runs"), help: "CountAudience repetitions (the median is reported).")
    var countRuns: Int = 7

    @Option(help: "Seed of the generated data.")
    var seed: UInt64 = 42

    func validate() throws {
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be in 1...10000") }
        guard concurrency >= 1, count >= 1, countRuns >= 1 else { throw ValidationError("positive values only") }
    }

    func run() async throws {
        let generator = ProfileGenerator(seed: seed)
        let clock = ContinuousClock()

        var start = clock.now
        var batches: [[UInt8]] = []
        batches.reserveCapacity((count + batchSize - 1) / batchSize)
        for first in stride(from: 0, to: count, by: batchSize) {
            var request = Herald_V1_UpsertProfilesRequest()
            request.profiles = (first..<min(first + batchSize, count)).map(generator.profile)
            batches.append(request.serializedBytes())
        }
        let payload = batches.reduce(0) { $0 + $1.count }
        emit("generated=\(count) batches=\(batches.count) payload_bytes=\(payload) seconds=\(Self.seconds(clock.now - start))")

        if let csvDirectory {
            start = clock.now
            try generator.writeCSV(count: count, directory: csvDirectory)
            emit("csv_written=\(csvDirectory) seconds=\(Self.seconds(clock.now - start))")
        }

        let client = GRPCClient(
            target: target,
            configuration: .init(maxReceiveMessageLength: 64 << 20, maxSendMessageLength: 64 << 20)
        )
        defer { Task { await client.close() } }
        // Warm the connection (and fail early when the server is not there).
        _ = try await client.call(Herald_V1_ProfileService.countAudience, Herald_V1_CountAudienceRequest())

        let next = Counter()
        let sendable = batches
        let path = Herald_V1_ProfileService.upsertProfiles.path
        start = clock.now
        let (inserted, errors) = try await withThrowingTaskGroup(of: (Int64, Int).self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var inserted: Int64 = 0, errors = 0
                    while let index = next.take(below: sendable.count) {
                        let response = try await client.unary(path: path, request: sendable[index])
                        let decoded = try Herald_V1_UpsertProfilesResponse(serializedBytes: response.message)
                        inserted += decoded.insertedCount + decoded.updatedCount
                        errors += decoded.errors.count
                    }
                    return (inserted, errors)
                }
            }
            var total: (Int64, Int) = (0, 0)
            for try await part in group { total = (total.0 + part.0, total.1 + part.1) }
            return total
        }
        let importSeconds = Self.seconds(clock.now - start)
        emit("import_profiles=\(inserted) import_errors=\(errors) import_seconds=\(importSeconds) import_rate=\(Int(Double(inserted) / importSeconds))")

        var request = Herald_V1_CountAudienceRequest()
        request.filter = filter
        var times: [Double] = []
        var matched: Int64 = 0
        for _ in 0..<countRuns {
            let t0 = clock.now
            matched = try await client.call(Herald_V1_ProfileService.countAudience, request).count
            times.append(Self.seconds(clock.now - t0))
        }
        times.sort()
        emit("count_filter=\(filter)")
        emit("count_matched=\(matched) count_median_ms=\(Self.ms(times[times.count / 2])) count_min_ms=\(Self.ms(times[0])) count_max_ms=\(Self.ms(times[times.count - 1]))")
        await client.close()
    }

    /// Writes a line unbuffered: the run script watches the lines as they come.
    func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func ms(_ seconds: Double) -> String { String(format: "%.1f", seconds * 1000) }
}

/// Hands out batch indices to the senders.
final class Counter: @unchecked Sendable {
    // Guarded by `lock`; the only state is the next index.
    private let lock = NSLock()
    private var value = 0

    func take(below limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}
