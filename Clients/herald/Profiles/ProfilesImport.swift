import ArgumentParser
import Foundation
import GRPCInterop
import HeraldProtos
import HeraldRPC

/// `herald profiles import FILE`.
struct ProfilesImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Insert or update profiles from a CSV or JSON Lines file.",
        discussion: """
            CSV: a header row naming the columns id, email, first_name, last_name, locale, \
            time_zone, tags (separated by '|'), subscription and attributes.NAME. JSON Lines: \
            one Profile per line in the proto3 JSON form ({"id":"p1","email":"a@example.com", \
            "firstName":"Ann","attributes":{"city":"Lund"}}). Profiles are sent in batches of \
            10,000, two batches at a time. Exits with 4 when some rows were rejected (the \
            others are stored).
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The CSV (.csv) or JSON Lines (.jsonl) file.")
    var file: String

    @Option(help: "Profiles per UpsertProfiles call (at most 10,000).")
    var batchSize = 10_000

    func validate() throws {
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be 1...10000") }
    }

    /// The outcome of one batch.
    private struct BatchResult: Sendable {
        var rows: [ProfileSource.Row]
        var response: Herald_V1_UpsertProfilesResponse
    }

    func run() async throws {
        let source = try ProfileSource.read(path: file)
        let batches = stride(from: 0, to: source.rows.count, by: batchSize).map {
            Array(source.rows[$0..<min($0 + batchSize, source.rows.count)])
        }
        let progress = ProfileProgressSink(
            bar: connection.json ? nil : ProgressBar(total: source.rows.count + source.errors.count, label: "rows"))
        progress.bar?.advance(by: source.errors.count)
        let start = ContinuousClock.now
        var inserted: Int64 = 0
        var updated: Int64 = 0
        var rowErrors = source.errors
        try await connection.withClient { client in
            let options = connection.callOptions
            let results: [BatchResult] = try await progress.whileRedrawing {
                try await withThrowingTaskGroup(of: BatchResult.self) { group in
                    var next = 0
                    var results: [BatchResult] = []
                    func submit() {
                        guard next < batches.count else { return }
                        let rows = batches[next]
                        next += 1
                        group.addTask {
                            var request = Herald_V1_UpsertProfilesRequest()
                            request.profiles = rows.map(\.profile)
                            let response = try await client.call(Herald_V1_ProfileService.upsertProfiles, request, options: options)
                            progress.bar?.advance(by: rows.count)
                            return BatchResult(rows: rows, response: response)
                        }
                    }
                    submit()
                    submit()
                    while let result = try await group.next() {
                        results.append(result)
                        submit()
                    }
                    return results
                }
            }
            for result in results {
                inserted += result.response.insertedCount
                updated += result.response.updatedCount
                for error in result.response.errors {
                    let row = result.rows.indices.contains(Int(error.index)) ? result.rows[Int(error.index)] : nil
                    rowErrors.append(ProfileSource.RowError(
                        line: row?.line ?? 0, id: error.profileId.isEmpty ? (row?.profile.id ?? "") : error.profileId,
                        message: error.message))
                }
            }
        }
        progress.bar?.finish()
        rowErrors.sort { $0.line < $1.line }
        let elapsed = ContinuousClock.now - start
        report(rows: source.rows.count + source.errors.count, inserted: inserted, updated: updated, errors: rowErrors, elapsed: elapsed)
        if !rowErrors.isEmpty {
            throw ExitCode(ExitCodes.invalidArgument)
        }
    }

    private func report(rows: Int, inserted: Int64, updated: Int64, errors: [ProfileSource.RowError], elapsed: Duration) {
        if connection.json {
            Output.printJSON(ProtoJSON.object([
                .init("file", .string(file)),
                .init("rows", ProtoJSON(integer: rows)),
                .init("inserted", ProtoJSON(integer: inserted)),
                .init("updated", ProtoJSON(integer: updated)),
                .init("failed", ProtoJSON(integer: errors.count)),
                .init("errors", .array(errors.map { error in
                    .object([.init("line", ProtoJSON(integer: error.line)), .init("id", .string(error.id)), .init("message", .string(error.message))])
                })),
            ]))
            return
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Int(Double(rows) / seconds) : rows
        print("Imported \(file): \(rows) rows in \(String(format: "%.1f", seconds))s (\(rate) rows/s)")
        print(Table.keyValues([
            ("inserted", Terminal.styled(String(inserted), .green)),
            ("updated", String(updated)),
            ("failed", errors.isEmpty ? "0" : Terminal.styled(String(errors.count), .red)),
        ]))
        guard !errors.isEmpty else { return }
        var table = Table(["LINE", "ID", "ERROR"])
        for error in errors.prefix(20) {
            table.rows.append([String(error.line), error.id, error.message])
        }
        print("")
        print(table.render())
        if errors.count > 20 {
            print("… and \(errors.count - 20) more (--json lists them all)")
        }
    }
}

/// The optional progress bar, shared with the batch tasks.
private struct ProfileProgressSink: Sendable {
    let bar: ProgressBar?

    func whileRedrawing<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        if let bar {
            return try await bar.whileRedrawing(body)
        }
        return try await body()
    }
}
