import ArgumentParser
import HeraldProtos
import HeraldRPC

/// `herald resume ID`.
struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume a PAUSED delivery.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The delivery's id.")
    var id: String

    func run() async throws {
        var request = Herald_V1_ResumeDeliveryRequest()
        request.deliveryId = id
        let response = try await connection.withClient { client in
            try await client.call(Herald_V1_DeliveryService.resumeDelivery, request, options: connection.callOptions)
        }
        let delivery = response.delivery ?? Herald_V1_Delivery()
        if connection.json {
            Output.printJSON(delivery)
        } else {
            print("delivery '\(id)' is \(delivery.stateName)")
        }
    }
}
