import ArgumentParser
import Foundation
import GRPCInterop
import HeraldProtos
import HeraldRPC

/// `herald prepare ID [--watch]`.
struct Prepare: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Prepare a delivery: target, apply the rules, personalize.",
        discussion: """
            With --watch, shows a progress bar per phase, the KPIs and the new log lines \
            until the preparation ends (with --json, one PreparationProgress per line). \
            Exits with 0 when the delivery is READY, 4 when PREPARATION_FAILED (the errors \
            are shown), 1 when the preparation was stopped, 5 when the connection was lost \
            --retries times in a row.
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var reconnect: ReconnectOptions

    @Argument(help: "The delivery's id.")
    var id: String

    @Flag(name: .long, help: "Follow the preparation until it ends.")
    var watch = false

    func run() async throws {
        var request = Herald_V1_PrepareDeliveryRequest()
        request.deliveryId = id
        let response = try await connection.withClient { client in
            try await client.call(Herald_V1_DeliveryService.prepareDelivery, request, options: connection.callOptions)
        }
        guard watch else {
            let delivery = response.delivery ?? Herald_V1_Delivery()
            if connection.json {
                Output.printJSON(delivery)
            } else {
                print(delivery.details)
            }
            return
        }
        let view = PreparationView(json: connection.json, interactive: Terminal.stdoutIsTerminal)
        var watchRequest = Herald_V1_WatchPreparationRequest()
        watchRequest.deliveryId = id
        try await reconnect.run(connection) { client, progressed in
            try await client.stream(Herald_V1_DeliveryService.watchPreparation, watchRequest) { stream in
                for try await message in stream {
                    progressed()
                    view.show(message.progress ?? Herald_V1_PreparationProgress())
                }
            }
        }
        try await finish()
    }

    /// Reads the delivery's final state: READY exits 0; PREPARATION_FAILED shows the
    /// errors and exits 4; anything else exits 1.
    private func finish() async throws {
        var get = Herald_V1_GetDeliveryRequest()
        get.deliveryId = id
        let delivery = try await connection.withClient { client in
            try await client.call(Herald_V1_DeliveryService.getDelivery, get, options: connection.callOptions)
        }.delivery ?? Herald_V1_Delivery()
        switch delivery.state {
        case .ready:
            if !connection.json {
                Terminal.printNote("delivery '\(id)' is READY")
            }
        case .preparationFailed:
            var logs = Herald_V1_ListDeliveryLogsRequest()
            logs.deliveryId = id
            logs.minSeverity = .error
            logs.pageSize = 100
            let page = try await connection.withClient { client in
                try await client.call(Herald_V1_DeliveryService.listDeliveryLogs, logs, options: connection.callOptions)
            }
            for entry in page.logEntries {
                Terminal.printError(entry.line)
            }
            let count = delivery.preparation?.errorCount ?? Int64(page.logEntries.count)
            throw Failure(message: "FAILED_PRECONDITION: the preparation of '\(id)' failed with \(count) error(s)", exitCode: ExitCodes.invalidArgument)
        default:
            throw Failure.other("the preparation of '\(id)' ended with the delivery \(delivery.stateName)")
        }
    }
}

/// Shows PreparationProgress messages: JSON lines, a block redrawn in place on a
/// terminal, or plain lines.
final class PreparationView {
    private let json: Bool
    private let live: LiveView?

    init(json: Bool, interactive: Bool) {
        self.json = json
        self.live = !json && interactive ? LiveView() : nil
    }

    func show(_ progress: Herald_V1_PreparationProgress) {
        if json {
            Output.printJSON(progress)
            return
        }
        let logLines = progress.newLogEntries.map(\.line)
        let kpis = progress.kpis ?? Herald_V1_PreparationKpis()
        if let live {
            live.update(block: block(progress, kpis), newLines: logLines)
        } else {
            for line in logLines { print(line) }
            print("\(progress.state.shortName) \(progress.phase.shortName) \(progress.processed)/\(progress.total)  \(kpis.summary)")
        }
    }

    /// A bar per phase, then the KPIs and the error and warning counts.
    private func block(_ progress: Herald_V1_PreparationProgress, _ kpis: Herald_V1_PreparationKpis) -> [String] {
        let phases = Herald_V1_PreparationPhase.allCases.filter { $0 != .unspecified }
        let nameWidth = phases.map { $0.shortName.count }.max() ?? 0
        var lines: [String] = []
        for phase in phases {
            let fraction: Double
            var counts = ""
            if progress.state == .succeeded || phase.rawValue < progress.phase.rawValue {
                fraction = 1
            } else if phase == progress.phase {
                fraction = progress.total > 0 ? Double(progress.processed) / Double(progress.total) : 0
                counts = "  \(progress.processed)/\(progress.total)"
            } else {
                fraction = 0
            }
            let name = phase.shortName + String(repeating: " ", count: nameWidth - phase.shortName.count)
            lines.append("\(name)  \(LiveView.bar(fraction)) \(String(Int(fraction * 100)).leftPadded(3))%\(counts)")
        }
        let state = progress.state.shortName
        let stateStyle: Terminal.Style = switch progress.state {
        case .succeeded: .green
        case .failed, .stopped: .red
        default: .cyan
        }
        lines.append(Terminal.styled("State", .dim) + "       " + Terminal.styled(state, stateStyle))
        lines.append(Terminal.styled("Targeted", .dim) + "    \(kpis.targeted)")
        lines.append(Terminal.styled("To deliver", .dim) + "  \(kpis.toDeliver)")
        lines.append(Terminal.styled("To exclude", .dim) + "  \(kpis.toExclude)")
        for count in kpis.exclusionCounts where count.count > 0 {
            lines.append("  \(count.cause.shortName): \(count.count)")
        }
        lines.append(Terminal.styled("Errors", .dim) + "      \(progress.errorCount)  " + Terminal.styled("Warnings", .dim) + " \(progress.warningCount)")
        return lines
    }
}
