import ArgumentParser
import HeraldProtos
import HeraldRPC

/// `herald pause ID`.
struct Pause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause a SENDING delivery (messages in flight finish).")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The delivery's id.")
    var id: String

    func run() async throws {
        var request = Herald_V1_PauseDeliveryRequest()
        request.deliveryId = id
        let response = try await connection.withClient { client in
            try await client.call(Herald_V1_DeliveryService.pauseDelivery, request, options: connection.callOptions)
        }
        let delivery = response.delivery ?? Herald_V1_Delivery()
        if connection.json {
            Output.printJSON(delivery)
        } else {
            print("delivery '\(id)' is \(delivery.stateName) (\(response.inFlightCount) in flight)")
        }
    }
}
