import ArgumentParser
import HeraldProtos
import HeraldRPC

/// `herald profiles unsubscribe ID`.
struct ProfilesUnsubscribe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unsubscribe", abstract: "Mark a profile UNSUBSCRIBED (it is excluded from deliveries)."
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The profile's id.")
    var id: String

    func run() async throws {
        var request = Herald_V1_SetSubscriptionRequest()
        request.profileId = id
        request.subscription = .unsubscribed
        let response = try await connection.withClient { client in
            try await client.call(Herald_V1_ProfileService.setSubscription, request, options: connection.callOptions)
        }
        if connection.json {
            Output.printJSON(response.profile ?? Herald_V1_Profile())
        } else {
            print("profile '\(id)' is \(response.profile?.subscriptionName ?? "UNSUBSCRIBED")")
        }
    }
}
