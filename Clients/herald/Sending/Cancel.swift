import ArgumentParser
import HeraldProtos
import HeraldRPC

/// `herald cancel ID`.
struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a SCHEDULED, SENDING or PAUSED delivery (pending messages are CANCELLED).")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The delivery's id.")
    var id: String

    func run() async throws {
        var request = Herald_V1_CancelDeliveryRequest()
        request.deliveryId = id
        let response = try await connection.withClient { client in
            try await client.call(Herald_V1_DeliveryService.cancelDelivery, request, options: connection.callOptions)
        }
        let delivery = response.delivery ?? Herald_V1_Delivery()
        if connection.json {
            Output.printJSON(delivery)
        } else {
            print("delivery '\(id)' is \(delivery.stateName) (\(response.cancelledCount) cancelled)")
        }
    }
}
