import ArgumentParser
import HeraldProtos
import HeraldRPC

/// `herald deliveries create FILE`.
struct DeliveriesCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a delivery from a JSON file.",
        discussion: """
            The file holds one Delivery in the proto3 JSON form, e.g. {"name":"Spring sale", \
            "content":{"subject":"Hi {{first_name}}","sender":{"address":"news@example.com"}, \
            "htmlBody":"<p>Hello</p>"},"audience":{"filter":"tags HAS \\"vip\\""}}. \
            Use - to read standard input.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The JSON file, or - for standard input.")
    var file: String

    func run() async throws {
        var request = Herald_V1_CreateDeliveryRequest()
        request.delivery = try Herald_V1_Delivery.read(path: file)
        let response = try await connection.withClient { client in
            try await client.call(Herald_V1_DeliveryService.createDelivery, request, options: connection.callOptions)
        }
        let delivery = response.delivery ?? Herald_V1_Delivery()
        if connection.json {
            Output.printJSON(delivery)
        } else {
            print(delivery.details)
        }
    }
}
