// Measures a preparation of a large population in SQLite at the engine level (no gRPC):
// the time of each phase, the floors (the audience counted by SQLite alone, the render
// loop alone), the peak RSS and how long a stop takes to take effect.
//
//   swift run -c release HeraldBenchPrepare [profiles] [database path]
//
// The database is built once (profiles are upserted in batches of 10,000) and reused
// when it already holds the requested number of profiles.
import Foundation
import HeraldCore
import HeraldPersonalization
import HeraldStore
import Logging

let arguments = CommandLine.arguments
let count = arguments.count > 1 ? Int(arguments[1]) ?? 1_000_000 : 1_000_000
let path = arguments.count > 2 ? arguments[2] : NSTemporaryDirectory() + "herald-bench-prepare-\(count).sqlite"
let clock = ContinuousClock()
let wallClock: @Sendable () -> Timestamp = {
    Timestamp(microsecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1_000_000))
}

func seconds(_ d: Duration) -> String {
    String(format: "%.3f s", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
}

/// The CPU time (user + system) the process used so far, in seconds.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// The current resident set by kind (`RssAnon`, `RssFile`: mapped file pages), in MB.
func residentBreakdown() -> String {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return "?" }
    return status.split(separator: "\n").filter { $0.hasPrefix("RssAnon:") || $0.hasPrefix("RssFile:") }
        .map { line in
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            return "\(parts[0]) \((Int(parts.dropFirst().first ?? "") ?? 0) / 1024) MB"
        }
        .joined(separator: ", ")
}

func peakRSSMegabytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
    }
    return -1
}

/// Profile i: 80% in SE, 1% unsubscribed, 0.5% without address, 0.5% duplicates of the
/// previous address, 0.3% malformed addresses; 5% in Lund (excluded by a filtering rule).
func profile(_ i: Int) -> Profile {
    var email = "user\(i)@mail\(i % 97).example.com"
    if i % 200 == 7 { email = "" }
    if i % 200 == 9 { email = "user\(i - 1)@mail\((i - 1) % 97).example.com" }
    if i % 333 == 5 { email = "user\(i)-at-nowhere" }
    return Profile(
        id: "p" + String(i).leftPadded(8), email: email, firstName: "First\(i % 1000)", lastName: "Last\(i % 777)",
        locale: "sv-SE", timeZone: "Europe/Stockholm", tags: i % 10 == 0 ? ["vip"] : [],
        attributes: [
            "country": i % 5 == 0 ? "NO" : "SE", "city": i % 20 == 1 ? "Lund" : "Stockholm",
            "vip": i % 10 == 0 ? "true" : "false", "plan": "plan\(i % 4)",
        ],
        subscription: i % 100 == 3 ? .unsubscribed : .subscribed
    )
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// About 5 KB of HTML with 5 personalized fields and 10 links.
let html: String = {
    var body = "<html><head><title>Offer</title></head><body>\n"
    body += "<h1>Hello {{first_name}} {{last_name}}</h1>\n<p>News for {{attributes.city}} ({{attributes.plan}}).</p>\n"
    body += "{{#attributes.vip}}<p>As a VIP you get more.</p>{{/attributes.vip}}\n"
    for i in 0..<9 {
        body += "<p>" + String(repeating: "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", count: 8) + "</p>\n"
        body += "<a href=\"https://shop.example.com/product/\(i)?utm_source=herald\">Product \(i)</a>\n"
    }
    body += "<p>Sent to {{email}}. <a href=\"https://shop.example.com/preferences\">Preferences</a> "
    body += "<a href=\"{{unsubscribe_url}}\">Unsubscribe</a></p>\n</body></html>\n"
    return body
}()

let delivery = Delivery(
    id: "bench", name: "Benchmark",
    content: .init(
        subject: "{{first_name}}, this week's offer", sender: .init(name: "Shop", address: "news@shop.example.com"),
        htmlBody: html, textBody: "Hello {{first_name}}, see the offer. Unsubscribe: {{unsubscribe_url}}"
    ),
    audience: .init(filter: #"attributes.country = "SE""#),
    typology: .init(rules: [
        .filtering(name: "not-lund", filter: #"attributes.city = "Lund""#),
        .pressure(name: "weekly", maxMessages: 3, periodDays: 7),
        .capacity(name: "cap", maxMessages: 700_000 * count / 1_000_000),
        .controlGroup(name: "holdout", size: .percent(5), seed: 7),
    ])
)

var logger = Logger(label: "bench")
logger.logLevel = .warning
let mmapBytes = Int(ProcessInfo.processInfo.environment["HERALD_BENCH_MMAP"] ?? "") ?? SQLiteStore.Configuration.defaults.mmapSizeBytes
var storeConfiguration = SQLiteStore.Configuration.defaults
storeConfiguration.mmapSizeBytes = mmapBytes
let store = try SQLiteStore(path: path, configuration: storeConfiguration, logger: logger)

// Build the population once.
let existing = try await store.countProfiles(matching: .all)
if existing != count {
    print("building \(count) profiles in \(path) …")
    let start = clock.now
    for base in stride(from: existing, to: count, by: 10_000) {
        _ = try await store.upsertProfiles((base..<min(base + 10_000, count)).map(profile), at: wallClock())
    }
    print("built in \(seconds(clock.now - start))")
}
if (try? await store.delivery(id: "bench")) ?? nil != nil {
    try await store.deleteDelivery(id: "bench") { _ in }
}
try await store.createDelivery(delivery)

// Floors.
let audience = try AudienceFilter(parsing: delivery.audience.filter)
var start = clock.now
let matched = try await store.countProfiles(matching: audience)
let countFloor = clock.now - start
print("floor: audience counted by SQLite: \(matched) profiles in \(seconds(countFloor))")

let options = RenderingOptions(trackingBaseURL: "https://t.example.com")
let compiled = try MustacheMessageRenderer().compile(delivery.content, options: options)
let sample = (0..<10_000).map(profile)
let sampleSize = try compiled.render(sample[1], identity: MessageIdentity(trackingID: "bench.1")).size
start = clock.now
let renderCount = 100_000
await withTaskGroup(of: Int.self) { group in
    for part in 0..<2 {
        group.addTask {
            var bytes = 0
            for i in stride(from: part, to: renderCount, by: 2) {
                bytes += (try? compiled.messageSize(sample[i % sample.count], identity: MessageIdentity(trackingID: "bench.\(i)"))) ?? 0
            }
            return bytes
        }
    }
    for await _ in group {}
}
let renderFloor = clock.now - start
let perMessage = Double(renderFloor.components.attoseconds) / 1e12 / Double(renderCount)
    + Double(renderFloor.components.seconds) * 1e6 / Double(renderCount)
print("floor: render loop alone, 2 tasks: \(renderCount) messages of \(sampleSize) bytes in \(seconds(renderFloor)) (\(String(format: "%.2f", perMessage)) µs a message)")

// Building the strings (what sending does) rather than measuring (what preparing does).
start = clock.now
for i in 0..<20_000 {
    _ = try? compiled.render(sample[i % sample.count], identity: MessageIdentity(trackingID: "bench.\(i)"))
}
let buildTime = clock.now - start
print("render with strings, 1 task: 20000 messages in \(seconds(buildTime)) (\(String(format: "%.2f", (Double(buildTime.components.seconds) * 1e6 + Double(buildTime.components.attoseconds) / 1e12) / 20_000)) µs a message)")

// The reference renderer (swift-mustache itself, the renderer before), for comparison.
let reference = try MustacheReferenceRenderer().compile(delivery.content, options: options)
let referenceSample = try reference.render(sample[1], identity: MessageIdentity(trackingID: "bench.1"))
let fastSample = try compiled.render(sample[1], identity: MessageIdentity(trackingID: "bench.1"))
precondition(referenceSample == fastSample, "the fast renderer differs from the reference")
start = clock.now
let referenceCount = 5_000
for i in 0..<referenceCount {
    _ = try? reference.render(sample[i], identity: MessageIdentity(trackingID: "bench.\(i)"))
}
let referenceTime = clock.now - start
print("reference renderer (swift-mustache), 1 task: \(referenceCount) messages in \(seconds(referenceTime)) (\(String(format: "%.2f", (Double(referenceTime.components.seconds) * 1e6 + Double(referenceTime.components.attoseconds) / 1e12) / Double(referenceCount))) µs a message)")

// The preparation.
let engine = PreparationEngine(
    deliveries: store, store: store, renderer: MustacheMessageRenderer(),
    configuration: .defaults, now: wallClock, logger: logger
)
start = clock.now
let cpuStart = cpuSeconds()
_ = try await engine.prepare(deliveryID: "bench")
var phaseStarts: [(PreparationPhase, ContinuousClock.Instant, Double)] = []
var final: PreparationProgress?
for await progress in try await engine.watch(deliveryID: "bench") {
    if let phase = progress.phase, phaseStarts.last?.0 != phase { phaseStarts.append((phase, clock.now, cpuSeconds())) }
    precondition(progress.kpis.targeted == progress.kpis.toDeliver + progress.kpis.toExclude)
    final = progress
}
let end = clock.now
let cpuEnd = cpuSeconds()
let cpuUsed = cpuEnd - cpuStart
let total = end - start
for (i, (phase, at, cpu)) in phaseStarts.enumerated() {
    let next = i + 1 < phaseStarts.count ? phaseStarts[i + 1].1 : end
    let nextCPU = i + 1 < phaseStarts.count ? phaseStarts[i + 1].2 : cpuEnd
    print("phase \(phase): \(seconds(next - at)) (CPU \(String(format: "%.3f s", nextCPU - cpu)))")
}
if let final {
    print("state \(final.state): targeted \(final.kpis.targeted), to deliver \(final.kpis.toDeliver), excluded \(final.kpis.toExclude)")
    print("  per cause: " + final.kpis.exclusionCounts.sorted { $0.key < $1.key }.map { "\($0.key.name) \($0.value)" }.joined(separator: ", "))
    print("  errors \(final.errorCount), warnings \(final.warningCount)")
}
let rate = Double(matched) / (Double(total.components.seconds) + Double(total.components.attoseconds) / 1e18)
print("preparation: \(seconds(total)) (\(Int(rate)) targeted profiles/s); ratio to the floor (count + render of every message): "
    + String(format: "%.2f", (Double(total.components.seconds) + Double(total.components.attoseconds) / 1e18)
        / ((Double(countFloor.components.seconds) + Double(countFloor.components.attoseconds) / 1e18)
            + perMessage * Double(final?.kpis.toDeliver ?? 0) / 1e6)))
print("preparation CPU time (user + system): \(String(format: "%.3f s", cpuUsed)); load average at the end: "
    + ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"))
print("peak RSS so far: \(peakRSSMegabytes()) MB (now \(residentBreakdown()))")

// Stop latency: prepare again, stop in the middle of personalization.
_ = try await engine.prepare(deliveryID: "bench")
var stopLatency: Duration?
var peakByPhase: [String: Int] = [:]
for await progress in try await engine.watch(deliveryID: "bench") {
    let phaseName = progress.phase.map { "\($0)" } ?? "start"
    peakByPhase[phaseName] = max(peakByPhase[phaseName] ?? 0, peakRSSMegabytes())
    if stopLatency == nil, progress.phase == .personalizing, progress.processed > progress.total / 3 {
        let requested = clock.now
        let stopped = try await engine.stop(deliveryID: "bench")
        stopLatency = clock.now - requested
        print("stop during PERSONALIZING at \(progress.processed)/\(progress.total): took effect in \(seconds(stopLatency!)), delivery \(stopped.state)")
    }
}
print("peak RSS reached by phase of the stopped run: " + peakByPhase.sorted { $0.value < $1.value }.map { "\($0.key) \($0.value) MB" }.joined(separator: ", "))
print("peak RSS: \(peakRSSMegabytes()) MB (now \(residentBreakdown()))")
try store.close()
