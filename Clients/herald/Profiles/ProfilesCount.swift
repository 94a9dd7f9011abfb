import ArgumentParser
import HeraldProtos
import HeraldRPC

/// `herald profiles count FILTER`.
struct ProfilesCount: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "count",
        abstract: "Count the profiles an audience filter matches.",
        discussion: #"Example: herald profiles count 'attributes.country = "SE" AND tags HAS "vip"'"#
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "A filter expression; \"\" matches every profile.")
    var filter: String

    func run() async throws {
        var request = Herald_V1_CountAudienceRequest()
        request.filter = filter
        let response = try await connection.withClient { client in
            try await client.call(Herald_V1_ProfileService.countAudience, request, options: connection.callOptions)
        }
        if connection.json {
            Output.printJSON(response)
        } else {
            print(response.count)
        }
    }
}
