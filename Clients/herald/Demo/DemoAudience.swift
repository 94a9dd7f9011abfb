import ArgumentParser
import HeraldProtos

/// `herald demo-audience OUTBOX --tracking-base URL` (hidden): the demo's simulated
/// audience alone, over the `.eml` files already in a folder. For tests and for trying
/// the tracking endpoint of a running heraldd by hand.
struct DemoAudience: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-audience",
        abstract: "Open and click the tracking links of captured messages, as herald demo's audience does.",
        shouldDisplay: false
    )

    @Argument(help: "The folder of .eml files (the capture relay's outbox).")
    var outbox: String

    @Option(help: ArgumentHelp("The tracking links' base URL (plain http on 127.0.0.1).", valueName: "url"))
    var trackingBase: String

    @Option(help: "The fraction of recipients who open.")
    var openRate = 0.4

    @Option(help: "The fraction of recipients who click (a subset of those who open).")
    var clickRate = 0.12

    @Flag(help: "Print the counts as one JSON object.")
    var json = false

    func validate() throws {
        guard LoopbackHTTP.Target(trackingBase + "/") != nil else {
            throw ValidationError("--tracking-base must be http://127.0.0.1:PORT (loopback only)")
        }
        guard (0...1).contains(openRate), (0...openRate).contains(clickRate) else {
            throw ValidationError("need 0 <= --click-rate <= --open-rate <= 1")
        }
    }

    func run() async throws {
        let base = trackingBase.hasSuffix("/") ? String(trackingBase.dropLast()) : trackingBase
        let audience = SimulatedAudience(.init(outbox: outbox, trackingBase: base, openRate: openRate, clickRate: clickRate))
        audience.finishWhenIdle()
        let progress = await audience.run()
        guard json else {
            print(Demo.audienceLine(progress))
            return
        }
        Output.printJSON(ProtoJSON.object([
            .init("messagesRead", ProtoJSON(integer: progress.messagesRead)),
            .init("openers", ProtoJSON(integer: progress.openers)),
            .init("clickers", ProtoJSON(integer: progress.clickers)),
            .init("opensFetched", ProtoJSON(integer: progress.opensFetched)),
            .init("clicksFetched", ProtoJSON(integer: progress.clicksFetched)),
            .init("messagesWithoutPixel", ProtoJSON(integer: progress.messagesWithoutPixel)),
            .init("messagesWithoutLink", ProtoJSON(integer: progress.messagesWithoutLink)),
            .init("failures", .object(progress.failures.sorted { $0.key < $1.key }.map { .init($0.key, ProtoJSON(integer: $0.value)) })),
        ]))
    }
}
