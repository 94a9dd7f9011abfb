import ArgumentParser
import HeraldProtos
import HeraldRPC

/// `herald profiles delete ID`.
struct ProfilesDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a profile.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The profile's id.")
    var id: String

    func run() async throws {
        var request = Herald_V1_DeleteProfileRequest()
        request.profileId = id
        let response = try await connection.withClient { client in
            try await client.call(Herald_V1_ProfileService.deleteProfile, request, options: connection.callOptions)
        }
        if connection.json {
            Output.printJSON(ProtoJSON.object([ProtoJSON.Member("deleted", .string(id))]))
        } else {
            _ = response
            print("profile '\(id)' deleted")
        }
    }
}
