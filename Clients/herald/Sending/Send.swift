import ArgumentParser
import Foundation
import GRPCInterop
import HeraldProtos
import HeraldRPC

/// `herald send ID [--watch]`.
struct Send: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send a READY delivery now (or arm its schedule).",
        discussion: """
            With --watch, shows the progress (sent, failed, pending, cancelled, throughput, \
            ETA) until the sending ends (with --json, one SendingProgress per line). Exits \
            with 0 when the delivery is COMPLETED, 1 when it ended otherwise, 5 when the \
            connection was lost --retries times in a row.
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var reconnect: ReconnectOptions

    @Argument(help: "The delivery's id.")
    var id: String

    @Flag(name: .long, help: "Follow the sending until it ends.")
    var watch = false

    func run() async throws {
        var request = Herald_V1_SendDeliveryRequest()
        request.deliveryId = id
        let response = try await connection.withClient { client in
            try await client.call(Herald_V1_DeliveryService.sendDelivery, request, options: connection.callOptions)
        }
        guard watch else {
            let delivery = response.delivery ?? Herald_V1_Delivery()
            if connection.json {
                Output.printJSON(delivery)
            } else {
                print("delivery '\(id)' is \(delivery.stateName)")
            }
            return
        }
        let view = SendingView(json: connection.json, interactive: Terminal.stdoutIsTerminal)
        var watchRequest = Herald_V1_WatchSendingRequest()
        watchRequest.deliveryId = id
        var last: Herald_V1_SendingProgress?
        try await reconnect.run(connection) { client, progressed in
            try await client.stream(Herald_V1_DeliveryService.watchSending, watchRequest) { stream in
                for try await message in stream {
                    progressed()
                    let progress = message.progress ?? Herald_V1_SendingProgress()
                    last = progress
                    view.show(progress)
                }
            }
        }
        let state = last?.state ?? .unspecified
        guard state == .completed else {
            throw Failure.other("the sending of '\(id)' ended with the delivery \(Output.shortName(state, prefix: "DELIVERY_STATE_"))")
        }
        if !connection.json {
            Terminal.printNote("delivery '\(id)' is COMPLETED")
        }
    }
}

/// Shows SendingProgress messages: JSON lines, a block redrawn in place on a terminal,
/// or plain lines.
final class SendingView {
    private let json: Bool
    private let live: LiveView?

    init(json: Bool, interactive: Bool) {
        self.json = json
        self.live = !json && interactive ? LiveView() : nil
    }

    func show(_ progress: Herald_V1_SendingProgress) {
        if json {
            Output.printJSON(progress)
            return
        }
        let state = Output.shortName(progress.state, prefix: "DELIVERY_STATE_")
        let done = progress.sent + progress.failed + progress.cancelled
        let counts = "sent \(progress.sent)  failed \(progress.failed)  pending \(progress.pending)  cancelled \(progress.cancelled)"
        let rate = String(format: "%.1f msg/s", progress.throughput)
        if let live {
            let fraction = progress.total > 0 ? Double(done) / Double(progress.total) : 1
            live.update(block: [
                "\(LiveView.bar(fraction)) \(String(LiveView.percent(done, progress.total)).leftPadded(3))%  \(done)/\(progress.total)",
                Terminal.styled("State", .dim) + "  " + Terminal.styled(state, Herald_V1_Delivery.stateStyle(state) ?? .bold),
                counts,
                "\(rate)  ETA \(eta(progress))",
            ])
        } else {
            print("\(state) \(done)/\(progress.total)  \(counts)  \(rate)  ETA \(eta(progress))")
        }
    }

    /// The time left until the estimated completion, or "--".
    private func eta(_ progress: Herald_V1_SendingProgress) -> String {
        guard let estimate = progress.estimatedCompletionTime else { return "--" }
        let left = Double(estimate.seconds) + Double(estimate.nanos) / 1e9 - Date().timeIntervalSince1970
        guard left > 0 else { return "0s" }
        let whole = Int(left.rounded(.up))
        return whole < 60 ? "\(whole)s" : "\(whole / 60)m\(String(whole % 60).leftPadded(2, with: "0"))s"
    }
}
