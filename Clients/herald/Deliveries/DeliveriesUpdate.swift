import ArgumentParser
import HeraldProtos
import HeraldRPC

/// `herald deliveries update ID FILE --mask PATHS`.
struct DeliveriesUpdate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Change fields of a delivery from a JSON file.",
        discussion: """
            Only the fields named by --mask are changed, e.g. --mask name,content.subject \
            (snake_case or lowerCamelCase paths). A READY or PREPARATION_FAILED delivery \
            returns to DRAFT.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The delivery's id.")
    var id: String

    @Argument(help: "A JSON file with the new values (a Delivery), or - for standard input.")
    var file: String

    @Option(help: ArgumentHelp("Comma-separated field paths to change.", valueName: "paths"))
    var mask: String

    func run() async throws {
        var delivery = try Herald_V1_Delivery.read(path: file)
        delivery.id = id
        var request = Herald_V1_UpdateDeliveryRequest()
        request.delivery = delivery
        var fieldMask = Google_Protobuf_FieldMask()
        fieldMask.paths = try Self.paths(mask)
        request.updateMask = fieldMask
        let response = try await connection.withClient { client in
            try await client.call(Herald_V1_DeliveryService.updateDelivery, request, options: connection.callOptions)
        }
        let updated = response.delivery ?? Herald_V1_Delivery()
        if connection.json {
            Output.printJSON(updated)
        } else {
            print(updated.details)
        }
    }

    /// The mask's paths in snake_case ("content.htmlBody" -> "content.html_body").
    static func paths(_ mask: String) throws -> [String] {
        let paths = mask.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !paths.isEmpty else { throw Failure.invalidArgument("--mask names no field") }
        return paths.map { path in
            var output = ""
            for character in path {
                if character.isUppercase {
                    output += "_" + character.lowercased()
                } else {
                    output.append(character)
                }
            }
            return output
        }
    }
}
