import ArgumentParser
import HeraldProtos
import HeraldRPC

/// `herald deliveries list`.
struct DeliveriesList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List deliveries (every page).")

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .long, help: ArgumentHelp("Only deliveries in this state (draft, ready, sending...); repeatable.", valueName: "state"))
    var state: [String] = []

    @Option(help: "Deliveries per call.")
    var pageSize: Int32 = 100

    func run() async throws {
        var request = Herald_V1_ListDeliveriesRequest()
        request.pageSize = pageSize
        request.states = try state.map(Self.parseState)
        var table = Table(["ID", "NAME", "STATE", "UPDATED"])
        table.style[2] = Herald_V1_Delivery.stateStyle
        try await connection.withClient { client in
            while true {
                let page = try await client.call(Herald_V1_DeliveryService.listDeliveries, request, options: connection.callOptions)
                for delivery in page.deliveries {
                    if connection.json {
                        Output.printJSON(delivery)
                    } else {
                        table.rows.append([delivery.id, delivery.name, delivery.stateName, Output.time(delivery.updateTime)])
                    }
                }
                guard !page.nextPageToken.isEmpty else { return }
                request.pageToken = page.nextPageToken
            }
        }
        if !connection.json {
            print(table.render())
        }
    }

    /// "draft", "DRAFT" or "DELIVERY_STATE_DRAFT".
    static func parseState(_ text: String) throws -> Herald_V1_DeliveryState {
        let name = text.uppercased().replacingOccurrences(of: "-", with: "_")
        guard let state = Herald_V1_DeliveryState(protoName: name) ?? Herald_V1_DeliveryState(protoName: "DELIVERY_STATE_" + name),
              state != .unspecified
        else {
            let known = Herald_V1_DeliveryState.allCases.dropFirst().map { Output.shortName($0, prefix: "DELIVERY_STATE_").lowercased() }
            throw Failure.invalidArgument("unknown state '\(text)' (one of \(known.joined(separator: ", ")))")
        }
        return state
    }
}
