import ArgumentParser
import HeraldProtos
import HeraldRPC

/// `herald logs ID`.
struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "List a delivery's preparation log (every page).")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The delivery's id.")
    var id: String

    @Option(name: .long, help: ArgumentHelp("Only entries at least this severe (info, warning, error).", valueName: "severity"))
    var severity: String?

    @Option(help: "Entries per call.")
    var pageSize: Int32 = 500

    func run() async throws {
        var request = Herald_V1_ListDeliveryLogsRequest()
        request.deliveryId = id
        request.pageSize = pageSize
        if let severity {
            request.minSeverity = try EnumArgument.parse(severity, prefix: "LOG_SEVERITY_", what: "severity")
        }
        var table = Table(["TIME", "SEVERITY", "PHASE", "CODE", "MESSAGE", "PROFILE"])
        table.style[1] = Herald_V1_LogSeverity.style
        try await connection.withClient { client in
            while true {
                let page = try await client.call(Herald_V1_DeliveryService.listDeliveryLogs, request, options: connection.callOptions)
                for entry in page.logEntries {
                    if connection.json {
                        Output.printJSON(entry)
                    } else {
                        table.rows.append([
                            Output.time(entry.time), entry.severity.shortName,
                            entry.phase == .unspecified ? "" : entry.phase.shortName, entry.code, entry.message, entry.profileId,
                        ])
                    }
                }
                guard !page.nextPageToken.isEmpty else { return }
                request.pageToken = page.nextPageToken
            }
        }
        if !connection.json {
            print(table.render())
        }
    }
}
