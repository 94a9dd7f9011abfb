import ArgumentParser
import HeraldProtos
import HeraldRPC

/// `herald messages ID`.
struct Messages: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "messages", abstract: "List a delivery's messages, the sending ledger (every page).")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The delivery's id.")
    var id: String

    @Option(name: .long, help: ArgumentHelp("Only messages in this status (pending, sent, failed, cancelled); repeatable.", valueName: "status"))
    var status: [String] = []

    @Option(help: "Messages per call.")
    var pageSize: Int32 = 500

    func run() async throws {
        var request = Herald_V1_ListMessagesRequest()
        request.deliveryId = id
        request.pageSize = pageSize
        request.statuses = try status.map { try EnumArgument.parse($0, prefix: "MESSAGE_STATUS_", what: "status") }
        var table = Table(["PROFILE", "ADDRESS", "STATUS", "ATTEMPTS", "SENT", "REASON", "MESSAGE-ID"])
        table.style[2] = Self.statusStyle
        try await connection.withClient { client in
            while true {
                let page = try await client.call(Herald_V1_DeliveryService.listMessages, request, options: connection.callOptions)
                for message in page.messages {
                    if connection.json {
                        Output.printJSON(message)
                    } else {
                        table.rows.append([
                            message.profileId, message.address, Output.shortName(message.status, prefix: "MESSAGE_STATUS_"),
                            String(message.attempts), Output.time(message.sentTime),
                            message.failureReason == .unspecified ? "" : Output.shortName(message.failureReason, prefix: "FAILURE_REASON_"),
                            message.messageId,
                        ])
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

    /// The style of a status cell.
    static func statusStyle(_ text: String) -> Terminal.Style? {
        switch text {
        case "SENT": .green
        case "FAILED": .red
        case "CANCELLED": .yellow
        case "PENDING": .cyan
        default: nil
        }
    }
}
