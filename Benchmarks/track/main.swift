// `make bench-track`'s load client (not a test). Two phases, driven by Benchmarks/track/run:
//
//   HeraldBenchTrack setup --target H:P --key ID:SECRET --count N --tokens-out FILE
//     imports N profiles (UpsertProfiles, batches of 10,000), creates a delivery with one
//     tracked link, prepares and sends it, waits until it is COMPLETED, then writes the
//     open pixel path `/o/<token>` of each of its N messages to FILE (tokens signed with
//     HeraldTracking's HMACTrackingTokens under the given key, tracking ids
//     `<delivery id>.<seq>`); prints `delivery <id>`.
//
//   HeraldBenchTrack watch --target H:P --key ID:SECRET --delivery ID --watchers W --duration S
//     opens W WatchKpis streams of the delivery from this one process (spread over a few
//     channels), prints `watching` once each has its first snapshot, then every 0.5 s
//     fires one probe event (a click through TrackingService.RecordEvents; the load is
//     opens only, so `total_clicks` moves only with probes) and times, on every watcher,
//     the delay from firing a probe to the update showing it. Prints the percentiles.
import Foundation
import GRPCInterop
import HeraldCore
import HeraldProtos
import HeraldRPC
import HeraldTracking
import Synchronization

struct Arguments {
    var values: [String: String] = [:]
    let phase: String

    init() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        phase = arguments.first ?? ""
        var index = 1
        while index + 1 < arguments.count {
            values[String(arguments[index].drop(while: { $0 == "-" }))] = arguments[index + 1]
            index += 2
        }
    }

    func string(_ name: String) -> String {
        guard let value = values[name] else { fail("--\(name) is required") }
        return value
    }

    func int(_ name: String, default value: Int) -> Int { values[name].flatMap(Int.init) ?? value }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("bench-track client: \(message)\n".utf8))
    exit(1)
}

func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

let arguments = Arguments()
let target = arguments.string("target")
let key = try TrackingKey(parsing: arguments.string("key"))
let tokens = try HMACTrackingTokens(keys: [key])
let clock = ContinuousClock()

func getDelivery(_ client: GRPCClient, _ id: String) async throws -> Herald_V1_Delivery {
    var request = Herald_V1_GetDeliveryRequest()
    request.deliveryId = id
    return try await client.call(Herald_V1_DeliveryService.getDelivery, request).delivery ?? .init()
}

func waitFor(_ client: GRPCClient, _ id: String, _ done: (Herald_V1_Delivery) -> Bool, what: String) async throws {
    for _ in 0..<6_000 {
        let delivery = try await getDelivery(client, id)
        if done(delivery) { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    fail("timed out waiting for \(what)")
}

func setup() async throws {
    let count = arguments.int("count", default: 100_000)
    let client = GRPCClient(target: target, configuration: .init(maxReceiveMessageLength: 64 << 20, maxSendMessageLength: 64 << 20))
    defer { Task { await client.close() } }
    var start = clock.now
    for batch in stride(from: 0, to: count, by: 10_000) {
        var request = Herald_V1_UpsertProfilesRequest()
        request.profiles = (batch..<min(count, batch + 10_000)).map { index in
            var profile = Herald_V1_Profile()
            profile.id = String(format: "p%07d", index)
            profile.email = "p\(index)@example.com"
            profile.firstName = "P\(index)"
            return profile
        }
        let response = try await client.call(Herald_V1_ProfileService.upsertProfiles, request)
        if !response.errors.isEmpty { fail("import errors: \(response.errors.prefix(3))") }
    }
    say("imported \(count) profiles in \(clock.now - start)")

    var delivery = Herald_V1_Delivery()
    delivery.name = "bench-track"
    var content = Herald_V1_DeliveryContent()
    content.subject = "Hello {{first_name}}"
    var sender = Herald_V1_EmailAddress()
    sender.address = "news@example.com"
    content.sender = sender
    content.htmlBody = #"<p>Hi {{first_name}}</p><p><a href="https://example.com/offer">offer</a> <a href="{{unsubscribe_url}}">unsubscribe</a></p>"#
    delivery.content = content
    var create = Herald_V1_CreateDeliveryRequest()
    create.delivery = delivery
    let id = try await client.call(Herald_V1_DeliveryService.createDelivery, create).delivery?.id ?? ""
    start = clock.now
    var prepare = Herald_V1_PrepareDeliveryRequest()
    prepare.deliveryId = id
    _ = try await client.call(Herald_V1_DeliveryService.prepareDelivery, prepare)
    try await waitFor(client, id, { $0.state != .preparing }, what: "the preparation")
    let prepared = try await getDelivery(client, id)
    guard prepared.state == .ready, let toDeliver = prepared.preparation?.kpis?.toDeliver, toDeliver == Int64(count) else {
        fail("the preparation ended \(prepared.state) with \(prepared.preparation?.kpis?.toDeliver ?? 0) messages")
    }
    say("prepared \(toDeliver) messages in \(clock.now - start)")
    start = clock.now
    var send = Herald_V1_SendDeliveryRequest()
    send.deliveryId = id
    _ = try await client.call(Herald_V1_DeliveryService.sendDelivery, send)
    try await waitFor(client, id, { $0.state == .completed || $0.state == .failed }, what: "the sending")
    let sent = try await getDelivery(client, id)
    say("sent: \(sent.kpis?.sent ?? 0) of \(toDeliver) in \(clock.now - start) (\(sent.stateName))")

    var lines = ""
    lines.reserveCapacity(count * 40)
    for sequence in 1...count {
        lines += "/o/" + tokens.token(trackingID: PreparedMessage.trackingID(deliveryID: id, sequence: sequence), action: .open) + "\n"
    }
    try lines.write(toFile: arguments.string("tokens-out"), atomically: true, encoding: .utf8)
    say("delivery \(id)")
}

extension Herald_V1_Delivery {
    var stateName: String { "\(state)" }
}

/// Probe fire times and the delays each watcher saw.
final class Probes: Sendable {
    private let state = Mutex<(fired: [ContinuousClock.Instant], delays: [Duration], updates: Int)>(([], [], 0))

    func fire(at instant: ContinuousClock.Instant) {
        state.withLock { $0.fired.append(instant) }
    }

    /// A watcher saw `totalClicks` move from `previous` to `current` at `instant`.
    func seen(from previous: Int, to current: Int, at instant: ContinuousClock.Instant) {
        state.withLock { state in
            state.updates += 1
            guard current > previous else { return }
            for probe in previous..<current where probe < state.fired.count {
                state.delays.append(instant - state.fired[probe])
            }
        }
    }

    private let watching = Mutex(0)

    /// A watcher got its first snapshot.
    func opened() {
        state.withLock { $0.updates += 1 }
        watching.withLock { $0 += 1 }
    }

    /// How many watchers got their first snapshot.
    var ready: Int { watching.withLock { $0 } }

    var result: (fired: Int, delays: [Duration], updates: Int) {
        state.withLock { ($0.fired.count, $0.delays.sorted(), $0.updates) }
    }
}

func watch() async throws {
    let id = arguments.string("delivery")
    let watchers = arguments.int("watchers", default: 1_000)
    let duration = arguments.int("duration", default: 12)
    let channels = max(1, watchers / 100)
    let clients = (0..<channels).map { _ in GRPCClient(target: target) }
    let probes = Probes()
    let request = {
        var request = Herald_V1_WatchKpisRequest()
        request.deliveryId = id
        return request
    }()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for index in 0..<watchers {
            let client = clients[index % channels]
            group.addTask {
                do {
                    try await client.stream(Herald_V1_DeliveryService.watchKpis, request) { stream in
                        var clicks: Int?
                        for try await message in stream {
                            let now = clock.now
                            let current = Int(message.update?.kpis?.totalClicks ?? 0)
                            if let previous = clicks {
                                probes.seen(from: previous, to: current, at: now)
                            } else {
                                probes.opened()
                            }
                            clicks = current
                        }
                    }
                } catch is CancellationError {
                } catch let error as RPCError where error.code == .cancelled {
                }
            }
        }
        for _ in 0..<600 where probes.ready < watchers {
            try await Task.sleep(for: .milliseconds(50))
        }
        let opened = probes.ready
        guard opened == watchers else { fail("only \(opened) of \(watchers) watchers got their first snapshot") }
        say("watching \(watchers)")

        let probeClient = clients[0]
        let probeToken = tokens.token(trackingID: PreparedMessage.trackingID(deliveryID: id, sequence: 1), action: .click(index: 0))
        let end = clock.now + .seconds(duration)
        var fired = 0
        while clock.now < end {
            var event = Herald_V1_TrackingEvent()
            event.token = probeToken
            var click = Herald_V1_ClickEvent()
            click.url = "https://example.com/offer"
            event.payload = .clickEvent(click)
            var record = Herald_V1_RecordEventsRequest()
            record.events = [event]
            probes.fire(at: clock.now)
            let response = try await probeClient.call(Herald_V1_TrackingService.recordEvents, record)
            if response.acceptedCount != 1 { fail("a probe was refused: \(response.errors)") }
            fired += 1
            try await Task.sleep(for: .milliseconds(500))
        }
        // Time for the last probe to reach every watcher.
        try await Task.sleep(for: .seconds(1))
        group.cancelAll()
    }
    for client in clients { await client.close() }
    let (count, delays, updates) = probes.result
    guard !delays.isEmpty else { fail("no watcher saw a probe") }
    func ms(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15
    }
    func percentile(_ p: Double) -> Double { ms(delays[min(delays.count - 1, Int(Double(delays.count) * p))]) }
    say("probes \(count), delays measured \(delays.count) (expected \(count * watchers)), updates received \(updates)")
    say(String(format: "event-to-update delay: p50 %.1f ms  p99 %.1f ms  max %.1f ms", percentile(0.50), percentile(0.99), ms(delays.last!)))
}

/// Prints the delivery's engagement KPIs as GetDelivery returns them.
func kpis() async throws {
    let client = GRPCClient(target: target)
    let kpis = try await getDelivery(client, arguments.string("delivery")).kpis ?? .init()
    await client.close()
    say("delivery KPIs after the run: total_opens \(kpis.totalOpens), opens \(kpis.opens), machine_opens \(kpis.machineOpens), total_clicks \(kpis.totalClicks)")
}

switch arguments.phase {
case "setup": try await setup()
case "watch": try await watch()
case "kpis": try await kpis()
default: fail("usage: HeraldBenchTrack setup|watch --target H:P --key ID:SECRET ...")
}
