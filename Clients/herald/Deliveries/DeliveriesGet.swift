import ArgumentParser
import HeraldProtos
import HeraldRPC

/// `herald deliveries get ID`.
struct DeliveriesGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show one delivery.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The delivery's id.")
    var id: String

    func run() async throws {
        var request = Herald_V1_GetDeliveryRequest()
        request.deliveryId = id
        let response = try await connection.withClient { client in
            try await client.call(Herald_V1_DeliveryService.getDelivery, request, options: connection.callOptions)
        }
        let delivery = response.delivery ?? Herald_V1_Delivery()
        if connection.json {
            Output.printJSON(delivery)
        } else {
            print(delivery.details)
        }
    }
}
