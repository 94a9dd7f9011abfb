import ArgumentParser
import HeraldProtos
import HeraldRPC

/// `herald kpis [ID] [--watch]`.
struct Kpis: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kpis",
        abstract: "Show the live KPIs of a delivery, or of every active one.",
        discussion: """
            Without ID, every active (SCHEDULED, SENDING or PAUSED) delivery. Shows delivered, \
            opens and clicks with their rates, throughput and state. With --watch, follows \
            the KPI stream until Ctrl-C: redrawn in place on a terminal, one line per update \
            otherwise, one KpiUpdate JSON object per line with --json; a lost connection is \
            reopened (--retries times in a row at most, then exit 5). A watched delivery that \
            is deleted ends the command with exit 3.
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var reconnect: ReconnectOptions

    @Argument(help: "The delivery's id (every active delivery when omitted).")
    var id: String?

    @Flag(name: .long, help: "Follow the KPIs until Ctrl-C.")
    var watch = false

    func run() async throws {
        let view = KPIView(json: connection.json, interactive: watch && Terminal.stdoutIsTerminal)
        guard watch else {
            let updates = try await snapshot()
            if updates.isEmpty && !connection.json {
                print("no active delivery")
            }
            view.showOnce(updates)
            return
        }
        if !connection.json && !Terminal.stdoutIsTerminal && id == nil {
            Terminal.printNote("watching every active delivery (Ctrl-C to stop)")
        }
        try await KPIWatch(connection: connection, reconnect: reconnect, deliveryId: id).run(view: view)
    }

    /// The current KPIs of the delivery, or of every active one, as KpiUpdate messages.
    private func snapshot() async throws -> [Herald_V1_KpiUpdate] {
        try await connection.withClient { client in
            var deliveries: [Herald_V1_Delivery] = []
            if let id {
                var request = Herald_V1_GetDeliveryRequest()
                request.deliveryId = id
                deliveries = [try await client.call(Herald_V1_DeliveryService.getDelivery, request, options: connection.callOptions).delivery ?? .init()]
            } else {
                var request = Herald_V1_ListDeliveriesRequest()
                request.states = [.scheduled, .sending, .paused]
                repeat {
                    let page = try await client.call(Herald_V1_DeliveryService.listDeliveries, request, options: connection.callOptions)
                    deliveries += page.deliveries
                    request.pageToken = page.nextPageToken
                } while !request.pageToken.isEmpty
            }
            return deliveries.map { delivery in
                var update = Herald_V1_KpiUpdate()
                update.deliveryId = delivery.id
                update.state = delivery.state
                update.kpis = delivery.kpis ?? Herald_V1_DeliveryKpis()
                update.updateTime = delivery.updateTime
                return update
            }
        }
    }
}
