import ArgumentParser
import HeraldProtos
import HeraldRPC

/// `herald stop ID`.
struct Stop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop a running preparation (the delivery returns to DRAFT)."
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The delivery's id.")
    var id: String

    func run() async throws {
        var request = Herald_V1_StopPreparationRequest()
        request.deliveryId = id
        let response = try await connection.withClient { client in
            try await client.call(Herald_V1_DeliveryService.stopPreparation, request, options: connection.callOptions)
        }
        let delivery = response.delivery ?? Herald_V1_Delivery()
        if connection.json {
            Output.printJSON(delivery)
        } else {
            print("delivery '\(id)' is \(delivery.stateName)")
        }
    }
}
