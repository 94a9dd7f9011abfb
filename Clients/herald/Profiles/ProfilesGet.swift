import ArgumentParser
import HeraldProtos
import HeraldRPC

/// `herald profiles get ID`.
struct ProfilesGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show one profile.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The profile's id.")
    var id: String

    func run() async throws {
        var request = Herald_V1_GetProfileRequest()
        request.profileId = id
        let response = try await connection.withClient { client in
            try await client.call(Herald_V1_ProfileService.getProfile, request, options: connection.callOptions)
        }
        let profile = response.profile ?? Herald_V1_Profile()
        if connection.json {
            Output.printJSON(profile)
        } else {
            print(profile.details)
        }
    }
}
