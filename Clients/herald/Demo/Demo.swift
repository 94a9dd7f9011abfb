import ArgumentParser
import Foundation
import GRPCInterop
import HeraldProtos
import HeraldRPC

/// `herald demo`: Herald from start to end on this machine, by itself.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run heraldd in a temporary folder and show a delivery from import to send.",
        discussion: """
            Starts heraldd (next to this herald, or --heraldd) in a temporary folder with its \
            embedded defaults: a SQLite file, the capture relay writing every message to \
            <folder>/outbox, and the tracking endpoint on a free loopback port when that heraldd \
            has one. Imports generated profiles, creates a personalized delivery with typology \
            rules, prepares it with the live progress view and sends it with the live KPI view \
            (herald kpis --watch) while a simulated audience opens and clicks the tracking links of the captured \
            messages; ends with a summary and stops heraldd (also on Ctrl-C). The folder is kept.
            """
    )

    @Option(help: ArgumentHelp("The heraldd executable (default: the one next to herald).", valueName: "path"))
    var heraldd: String?

    @Option(help: "How many profiles to generate and import (env HERALD_DEMO_PROFILES).")
    var profiles: Int = ProcessInfo.processInfo.environment["HERALD_DEMO_PROFILES"].flatMap { Int($0) } ?? 20_000

    @Option(help: "The fraction of recipients who open (the audience fetches their open pixel).")
    var openRate = 0.4

    @Option(help: "The fraction of recipients who click (a subset of those who open).")
    var clickRate = 0.12

    func validate() throws {
        guard profiles > 0 else { throw ValidationError("--profiles must be positive") }
        guard (0...1).contains(openRate), (0...openRate).contains(clickRate) else {
            throw ValidationError("need 0 <= --click-rate <= --open-rate <= 1")
        }
    }

    func run() async throws {
        let executable = try heralddPath()
        let folder = try Self.makeFolder()
        let grpcPort = try LoopbackPort.free()
        // Optional flags, passed when this heraldd has them (--help lists them).
        let help = try await DemoServer.help(executable, folder: folder)
        let trackingPort = help.contains("--tracking-address") ? try LoopbackPort.free() : nil
        Self.step("Starting heraldd on 127.0.0.1:\(grpcPort) (database and outbox in \(folder))")
        let server = try DemoServer.start(
            executable, folder: folder, grpcPort: grpcPort, trackingPort: trackingPort,
            humanOpens: help.contains("--machine-open-seconds"))
        print("heraldd pid \(server.process.pid)" + (server.trackingBase.map { ", tracking endpoint \($0)" } ?? ", no tracking endpoint in this heraldd"))
        let interrupts = InterruptGuard { signal in
            let what = signal == SIGINT ? "interrupted" : "terminated"
            Terminal.writeError("\n\(what): stopping heraldd (pid \(server.process.pid))\n")
            server.process.stopBlocking(grace: .seconds(10))
            fflush(nil)
            Terminal.writeError("\n\(what): heraldd (pid \(server.process.pid)) stopped (\(server.process.describeExit())); its folder \(folder) is kept\n")
        }
        defer { interrupts.cancel() }
        do {
            try await server.waitUntilServing()
            try await scenario(server)
        } catch {
            // Interrupted: the failure is the interruption's doing, and its handler stops
            // heraldd and ends the process with 128 + the signal.
            await interrupts.yieldToHandler()
            Self.step("Stopping heraldd (pid \(server.process.pid))")
            await server.stop()
            print("heraldd stopped (\(server.process.describeExit()))")
            throw error
        }
        Self.step("Stopping heraldd (pid \(server.process.pid))")
        let graceful = await server.stop()
        print("heraldd stopped (\(server.process.describeExit())\(graceful ? "" : " after SIGKILL"))")
    }

    /// Import, create, prepare, send with the audience, summary.
    private func scenario(_ server: DemoServer) async throws {
        Self.step("Generating \(profiles) profiles")
        let csvPath = server.folder + "/profiles.csv"
        guard FileManager.default.createFile(atPath: csvPath, contents: Data(DemoPopulation.csv(count: profiles).utf8)) else {
            throw Failure.other("cannot write \(csvPath)")
        }
        print("written to \(csvPath)")

        Self.step("Importing them")
        do {
            let importing = try ProfilesImport.parse([csvPath, "--server", server.address])
            try await importing.run()
        } catch let exit as ExitCode where exit.rawValue == ExitCodes.invalidArgument {
            Terminal.printNote("some rows were rejected (above); the demo goes on with the others")
        }

        Self.step("Creating a delivery")
        let id = try await createDelivery(server)
        print("delivery \(id)")

        Self.step("Preparing (live)")
        let preparing = try Prepare.parse([id, "--watch", "--server", server.address])
        try await preparing.run()

        let audience = server.trackingBase.map { base in
            SimulatedAudience(.init(outbox: server.outbox, trackingBase: base, openRate: openRate, clickRate: clickRate))
        }
        Self.step("Sending to the capture relay (live KPIs)" + (audience == nil ? "" : ", the simulated audience reading along"))
        let audienceResult = try await sendAlongsideAudience(id: id, server: server, audience: audience)

        Self.step("Summary")
        try await summary(id: id, server: server, audience: audienceResult)
    }

    /// Sends the delivery (SendDelivery) and shows the live KPI view of `herald kpis
    /// --watch` while `audience` (when there is a tracking endpoint) reads the outbox and
    /// fetches tracking URLs concurrently, so that opens and clicks move as it goes. The
    /// view ends once the delivery is final, the audience has acted on every message, and
    /// the KPIs count every open and click it fetched (or 5 s after the audience ended,
    /// whichever comes first); returns the audience's counts.
    private func sendAlongsideAudience(id: String, server: DemoServer, audience: SimulatedAudience?) async throws -> SimulatedAudience.Progress? {
        let connection = try ConnectionOptions.parse(["--server", server.address])
        var request = Herald_V1_SendDeliveryRequest()
        request.deliveryId = id
        _ = try await connection.withClient { client in
            try await client.call(Herald_V1_DeliveryService.sendDelivery, request, options: connection.callOptions)
        }
        if audience != nil {
            print("audience: \(Int(openRate * 100))% of the recipients open, \(Int(clickRate * 100))% click")
        }
        fflush(nil)  // the view writes to the descriptor directly
        let ended = AudienceEnd()
        let view = KPIView(json: false, interactive: Terminal.stdoutIsTerminal) {
            audience.map { Self.audienceLine($0.progress) } ?? "(Ctrl-C to stop)"
        }
        let watch = KPIWatch(connection: connection, reconnect: try ReconnectOptions.parse([]), deliveryId: id)
        let stop: @Sendable (Herald_V1_KpiUpdate?) -> Bool = { update in
            guard let update, [.completed, .failed, .cancelled].contains(update.state) else { return false }
            guard let audience else { return true }
            audience.finishWhenIdle()  // every message is in the outbox
            guard let (progress, time) = ended.value else { return false }
            let kpis = update.kpis ?? Herald_V1_DeliveryKpis()
            let counted = Int(kpis.opens + kpis.machineOpens) >= progress.opensFetched && Int(kpis.clicks) >= progress.clicksFetched
            return counted || ContinuousClock.now >= time + .seconds(5)
        }
        let last: Herald_V1_KpiUpdate?
        if let audience {
            last = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { ended.set(await audience.run()) }
                do {
                    let last = try await watch.run(view: view, until: stop)
                    audience.finishWhenIdle()
                    try await group.waitForAll()
                    return last
                } catch {
                    group.cancelAll()
                    throw error
                }
            }
        } else {
            last = try await watch.run(view: view, until: stop)
        }
        let state = last?.state ?? .unspecified
        guard state == .completed else {
            throw Failure.other("the sending of '\(id)' ended with the delivery \(Output.shortName(state, prefix: "DELIVERY_STATE_"))")
        }
        Terminal.printNote("delivery '\(id)' is COMPLETED")
        let result = ended.value?.progress
        if let result { print(Self.audienceLine(result)) }
        return result
    }

    private func createDelivery(_ server: DemoServer) async throws -> String {
        var request = Herald_V1_CreateDeliveryRequest()
        do {
            request.delivery = try Herald_V1_Delivery(json: ProtoJSON(parsing: DemoPopulation.deliveryJSON))
        } catch {
            throw Failure.other("the demo delivery: \(error.message)")
        }
        let client = GRPCClient(target: server.address)
        do {
            let response = try await client.call(Herald_V1_DeliveryService.createDelivery, request, options: CallOptions(timeout: .seconds(30)))
            await client.close()
            return response.delivery?.id ?? ""
        } catch {
            await client.close()
            throw error
        }
    }

    /// The delivery and the number of SENT rows in its ledger.
    private func deliveryAndSentCount(id: String, server: DemoServer) async throws -> (Herald_V1_Delivery, Int) {
        let client = GRPCClient(target: server.address)
        let options = CallOptions(timeout: .seconds(30))
        do {
            var get = Herald_V1_GetDeliveryRequest()
            get.deliveryId = id
            let delivery = try await client.call(Herald_V1_DeliveryService.getDelivery, get, options: options).delivery ?? Herald_V1_Delivery()
            var list = Herald_V1_ListMessagesRequest()
            list.deliveryId = id
            list.statuses = [.sent]
            list.pageSize = 1_000
            var sent = 0
            while true {
                let page = try await client.call(Herald_V1_DeliveryService.listMessages, list, options: options)
                sent += page.messages.count
                guard !page.nextPageToken.isEmpty else { break }
                list.pageToken = page.nextPageToken
            }
            await client.close()
            return (delivery, sent)
        } catch {
            await client.close()
            throw error
        }
    }

    /// The closing summary: the delivery's KPIs, the ledger, the audience, the outbox.
    private func summary(id: String, server: DemoServer, audience: SimulatedAudience.Progress?) async throws {
        var (delivery, sent) = try await deliveryAndSentCount(id: id, server: server)
        if let audience, audience.opensFetched > 0 {
            // The tracking endpoint records events in batches: give the KPIs a moment to
            // count every open the audience made.
            let deadline = ContinuousClock.now + .seconds(5)
            while Int((delivery.kpis?.opens ?? 0) + (delivery.kpis?.machineOpens ?? 0)) < audience.opensFetched
                || Int(delivery.kpis?.clicks ?? 0) < audience.clicksFetched,
                ContinuousClock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(250))
                (delivery, sent) = try await deliveryAndSentCount(id: id, server: server)
            }
        }
        let kpis = delivery.preparation?.kpis ?? Herald_V1_PreparationKpis()
        var pairs: [(String, String)] = [
            ("delivery", "\(delivery.id) \"\(delivery.name)\""),
            ("state", Terminal.styled(delivery.stateName, Herald_V1_Delivery.stateStyle(delivery.stateName) ?? .bold)),
            ("targeted", String(kpis.targeted)),
            ("to deliver", String(kpis.toDeliver)),
            ("excluded", String(kpis.toExclude)),
        ]
        for count in kpis.exclusionCounts.sorted(by: { $0.cause.rawValue < $1.cause.rawValue }) {
            pairs.append(("  " + Output.shortName(count.cause, prefix: "EXCLUSION_CAUSE_").lowercased().replacingOccurrences(of: "_", with: " "), String(count.count)))
        }
        pairs.append(("sent", String(sent)))
        if let audience {
            pairs.append(("opens fetched", "\(audience.opensFetched) of \(audience.openers) recipients who open"))
            pairs.append(("clicks fetched", "\(audience.clicksFetched) of \(audience.clickers) recipients who click"))
            let failures = audience.failures.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }.joined(separator: ", ")
            pairs.append(("failed requests", audience.failed == 0 ? "0" : Terminal.styled(failures, .yellow)))
            if let engagement = delivery.kpis, engagement.opens > 0 || engagement.machineOpens > 0 || engagement.clicks > 0 {
                let machine = engagement.machineOpens > 0 ? ", and \(engagement.machineOpens) machine opens" : ""
                pairs.append(("opens counted", "\(engagement.opens) (\(Self.percent(engagement.openRate)) of delivered)\(machine)"))
                pairs.append(("clicks counted", "\(engagement.clicks) (\(Self.percent(engagement.clickRate)) of delivered)"))
            }
        } else {
            pairs.append(("audience", "not simulated (this heraldd has no tracking endpoint)"))
        }
        print(Table.keyValues(pairs))
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: server.outbox)) ?? []).filter { $0.hasSuffix(".eml") }.sorted()
        print("messages SENT in the ledger: \(sent)")
        if let audience {
            print("simulated audience: \(audience.opensFetched) opens and \(audience.clicksFetched) clicks fetched, \(audience.failed) failed")
        }
        print("captured .eml files: \(files.count) in \(server.outbox)")
        if let first = files.first {
            print("e.g. \(server.outbox)/\(first)")
        }
    }

    private static func percent(_ rate: Double) -> String {
        String(format: "%.1f%%", rate * 100)
    }

    static func audienceLine(_ progress: SimulatedAudience.Progress) -> String {
        "audience: \(progress.messagesRead) messages read, \(progress.opensFetched) opens and \(progress.clicksFetched) clicks fetched, \(progress.failed) failed"
    }

    /// The heraldd to run: --heraldd, else the one next to this executable.
    private func heralddPath() throws -> String {
        if let heraldd {
            guard FileManager.default.isExecutableFile(atPath: heraldd) else {
                throw Failure.other("cannot start heraldd: \(heraldd) is not an executable file")
            }
            return heraldd
        }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let path = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("heraldd").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw Failure.other("no heraldd next to herald (\(path)); build it (swift build --product heraldd) or pass --heraldd PATH")
        }
        return path
    }

    private static func makeFolder() throws -> String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base + "/herald-demo.XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.flatMap { mkdtemp($0) }.map { String(cString: $0) }
        }
        guard let created else {
            throw Failure.other("cannot create a folder in \(base): \(String(cString: strerror(errno)))")
        }
        return created
    }

    /// A step's heading.
    static func step(_ text: String) {
        print("\n" + Terminal.styled("== " + text, .bold))
    }
}
