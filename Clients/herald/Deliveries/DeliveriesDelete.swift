import ArgumentParser
import HeraldProtos
import HeraldRPC

/// `herald deliveries delete ID`.
struct DeliveriesDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a delivery (not while it is sending).")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The delivery's id.")
    var id: String

    func run() async throws {
        var request = Herald_V1_DeleteDeliveryRequest()
        request.deliveryId = id
        _ = try await connection.withClient { client in
            try await client.call(Herald_V1_DeliveryService.deleteDelivery, request, options: connection.callOptions)
        }
        if connection.json {
            Output.printJSON(ProtoJSON.object([ProtoJSON.Member("deleted", .string(id))]))
        } else {
            print("delivery '\(id)' deleted")
        }
    }
}
