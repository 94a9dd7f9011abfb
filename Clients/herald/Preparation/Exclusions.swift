import ArgumentParser
import HeraldProtos
import HeraldRPC

/// `herald exclusions ID`.
struct Exclusions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exclusions", abstract: "List the profiles a delivery's preparation excluded (every page)."
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The delivery's id.")
    var id: String

    @Option(name: .long, help: ArgumentHelp("Only this cause (duplicate, denylisted, excluded-by-filter...); repeatable.", valueName: "cause"))
    var cause: [String] = []

    @Option(help: "Exclusions per call.")
    var pageSize: Int32 = 500

    func run() async throws {
        var request = Herald_V1_ListExclusionsRequest()
        request.deliveryId = id
        request.pageSize = pageSize
        request.causes = try cause.map { try EnumArgument.parse($0, prefix: "EXCLUSION_CAUSE_", what: "cause") }
        var table = Table(["PROFILE", "ADDRESS", "CAUSE", "RULE"])
        try await connection.withClient { client in
            while true {
                let page = try await client.call(Herald_V1_DeliveryService.listExclusions, request, options: connection.callOptions)
                for entry in page.exclusions {
                    if connection.json {
                        Output.printJSON(entry)
                    } else {
                        table.rows.append([entry.profileId, entry.address, entry.cause.shortName, entry.ruleName])
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
