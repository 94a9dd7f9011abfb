// `make bench-compose`: the CPU cost of composing one message (rendered content → RFC 5322
// bytes) in the shape of `make bench-send`'s deliveries (~4 KB: HTML of about 1,900 bytes,
// its text part derived from it, List-Unsubscribe), some with non-ASCII names in the
// subject and some with tracked links and the open pixel. One core, release build.
//
//     HeraldBenchCompose [messages] [composer-only | send-only | send-compose-only]  (the modes for a profiler)
//
// Prints CPU ns per message (this thread's CPU time) for MailComposer (one per delivery, as heraldd keeps it), for
// MailMessage.referenceRendered() (the writer it replaced) and for a plain copy of the
// message's bytes (a floor), best of 3 rounds each. Checks that the delivery's composer
// (which remembers the chunks its messages share) writes what a fresh one writes (the
// tests compare the decoded parts with the reference writer's).
//
// Then the whole per-message cost of heraldd's SendingJob.prepare for bench-send's delivery
// (its template, tracking off, HMAC-signed unsubscribe URLs): rendering alone
// (ProgramCompiledMessage.render), and rendering + the unsubscribe URL + composing.
import Foundation
import HeraldCore
import HeraldMail
import HeraldPersonalization
import HeraldTracking

let count = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 20_000
let distinct = 1_000

let filler = String(
    repeating: "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt "
        + "ut labore et dolore magna aliqua. ", count: 15)
let names = ["First", "Zoë", "Ångström", "日本", "Łukasz", "José"]

struct Input {
    var to: MailAddress
    var subject: String
    var html: String
    var messageID: MessageID
    var unsubscribe: String
}

let deliveryID = "0f6c2a4e-8d1b-4c55-9e0a-3b7d2f1a9c64"
let inputs: [Input] = (0..<distinct).map { i in
    let first = names[i % 5 == 4 ? (i / 5) % names.count : 0] + "\(i)"
    let token = String(repeating: "Ab3_", count: 10) + "\(i)"
    let tracked = i % 3 == 2
    let offer = tracked ? "https://t.herald.example/c/\(token)/1" : "https://herald.example/offer"
    let unsubscribe = "https://t.herald.example/u/\(token)"
    var html = "<p>Hi \(first) Bench,</p><p>\(filler)</p><a href=\"\(offer)\">offer</a> <a href=\"\(unsubscribe)\">unsubscribe</a>"
    if tracked { html += "<img src=\"https://t.herald.example/o/\(token)\" width=\"1\" height=\"1\" alt=\"\">" }
    return Input(
        to: MailAddress(address: "user\(i)@d\(i % 50).example"),
        subject: "Hello \(first), the news of the week",
        html: html,
        messageID: .stable(deliveryID: deliveryID, recipientID: String(format: "p%07d", i), domain: "herald.example"),
        unsubscribe: unsubscribe
    )
}
let from = MailAddress(name: "Herald Bench", address: "news@herald.example")
let start = Date(timeIntervalSince1970: 1_779_358_272)

func reference(_ k: Int) -> [UInt8] {
    let input = inputs[k % distinct]
    return MailMessage(
        from: from, to: input.to, subject: input.subject, htmlBody: input.html, messageID: input.messageID,
        date: start + Double(k / 500), listUnsubscribe: ListUnsubscribe(url: input.unsubscribe)
    ).referenceRendered()
}

let composer = MailComposer(from: from)
func composed(_ k: Int) -> [UInt8] {
    let input = inputs[k % distinct]
    return composer.render(
        to: input.to, subject: input.subject, htmlBody: input.html, textBody: nil, messageID: input.messageID,
        date: start + Double(k / 500), listUnsubscribe: ListUnsubscribe(url: input.unsubscribe)
    )
}

/// The message as a fresh composer (remembering nothing) writes it.
func fresh(_ k: Int) -> [UInt8] {
    let input = inputs[k % distinct]
    return MailMessage(
        from: from, to: input.to, subject: input.subject, htmlBody: input.html, messageID: input.messageID,
        date: start + Double(k / 500), listUnsubscribe: ListUnsubscribe(url: input.unsubscribe)
    ).rendered()
}


// bench-send's delivery (Benchmarks/send/client.py), rendered as SendingJob.prepare does.
let sendOptions = RenderingOptions(
    trackingBaseURL: "https://t.herald.example", trackingEnabled: false,
    signer: try HMACTrackingTokens(keys: [TrackingKey(id: "k1", secret: Array("bench secret of thirty-two bytes".utf8))])
)
let sendContent = Delivery.Content(
    subject: "Hello {{first_name}}, the news of the week",
    sender: .init(name: "Herald Bench", address: "news@herald.example"),
    htmlBody: "<p>Hi {{first_name}} {{last_name}},</p><p>\(filler)</p>"
        + "<a href=\"https://herald.example/offer\">offer</a> <a href=\"{{unsubscribe_url}}\">unsubscribe</a>"
)
let sendCompiled = try MustacheMessageRenderer().compile(sendContent, options: sendOptions)
let sendProfiles = (0..<distinct).map { i in
    Profile(id: String(format: "p%07d", i), email: "user\(i)@d\(i % 50).example", firstName: "First\(i)", lastName: "Bench", tags: ["bench"])
}
let sendIdentities = (0..<distinct).map { MessageIdentity(trackingID: PreparedMessage.trackingID(deliveryID: deliveryID, sequence: $0 + 1)) }
let sendIDs = StableMessageIDs(deliveryID: deliveryID, domain: "herald.example")

func rendered(_ k: Int) -> RenderedMessage {
    // swiftlint:disable:next force_try
    try! sendCompiled.render(sendProfiles[k % distinct], identity: sendIdentities[k % distinct])
}

func renderedAndComposed(_ k: Int) -> [UInt8] {
    let profile = sendProfiles[k % distinct]
    let identity = sendIdentities[k % distinct]
    // swiftlint:disable:next force_try
    let message = try! sendCompiled.render(profile, identity: identity)
    let unsubscribe = sendOptions.url(.unsubscribe, trackingID: identity.trackingID)
    return composer.render(
        to: MailAddress(address: profile.email), subject: message.subject, htmlBody: message.html, textBody: message.text,
        messageID: sendIDs.id(recipientID: profile.id), date: start + Double(k / 500),
        listUnsubscribe: ListUnsubscribe(url: unsubscribe)
    )
}

// The same messages rendered beforehand: composing alone.
let sendRendered = (0..<distinct).map(rendered)
let sendURLs = sendIdentities.map { sendOptions.url(.unsubscribe, trackingID: $0.trackingID) }
func composedOnly(_ k: Int) -> [UInt8] {
    let message = sendRendered[k % distinct]
    let profile = sendProfiles[k % distinct]
    return composer.render(
        to: MailAddress(address: profile.email), subject: message.subject, htmlBody: message.html, textBody: message.text,
        messageID: sendIDs.id(recipientID: profile.id), date: start + Double(k / 500),
        listUnsubscribe: ListUnsubscribe(url: sendURLs[k % distinct])
    )
}

if CommandLine.arguments.dropFirst(2).first == "send-compose-only" {
    // For a profiler: composing bench-send's rendered messages alone.
    var total = 0
    for k in 0..<count { total &+= composedOnly(k).count }
    print("composed \(count) messages, \(total) bytes")
    exit(0)
}

if CommandLine.arguments.dropFirst(2).first == "send-only" {
    // For a profiler: bench-send's render + compose alone.
    var total = 0
    for k in 0..<count { total &+= renderedAndComposed(k).count }
    print("rendered and composed \(count) messages, \(total) bytes")
    exit(0)
}

if CommandLine.arguments.dropFirst(2).first == "composer-only" {
    // For a profiler: the composer alone.
    var total = 0
    for k in 0..<count { total &+= composed(k).count }
    print("composed \(count) messages, \(total) bytes")
    exit(0)
}

var mismatches = 0
for k in 0..<(2 * distinct) where fresh(k) != composed(k) { mismatches += 1 }
let copies = (0..<distinct).map { reference($0) }
let averageSize = copies.reduce(0) { $0 + $1.count } / distinct

/// This thread's CPU time in seconds (steadier than the wall clock on a shared machine).
func cpuSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// CPU ns per message of one round of `count` messages.
func round(_ body: (Int) -> Int) -> Double {
    var bytes = 0
    let start = cpuSeconds()
    for k in 0..<count { bytes &+= body(k) }
    let ns = (cpuSeconds() - start) * 1e9 / Double(count)
    precondition(bytes > 0)
    return ns
}

func copyOf(_ k: Int) -> [UInt8] {
    copies[k % distinct].withUnsafeBufferPointer { source in
        [UInt8](unsafeUninitializedCapacity: source.count) { buffer, initialized in
            initialized = buffer.initialize(from: source).1
        }
    }
}

_ = round { composed($0).count }
// Rounds alternated, the best of 3 of each.
var newNS = Double.infinity, referenceNS = Double.infinity, floorNS = Double.infinity
for _ in 0..<3 {
    newNS = min(newNS, round { composed($0).count })
    referenceNS = min(referenceNS, round { reference($0).count })
    floorNS = min(floorNS, round { copyOf($0).count })
}
print("messages: \(count) x ~\(averageSize) bytes (\(distinct) distinct; 1 in 5 with a non-ASCII name, 1 in 3 tracked)")
print(String(format: "MailComposer:                    %8.0f ns/message", newNS))
print(String(format: "reference (referenceRendered):   %8.0f ns/message", referenceNS))
print(String(format: "floor (copy of the bytes):       %8.0f ns/message", floorNS))
print(String(format: "composer / reference: %.2f", newNS / referenceNS))
print("outputs differing from a fresh composer's: \(mismatches) of \(2 * distinct)")

_ = round { renderedAndComposed($0).count }
var renderNS = Double.infinity, urlNS = Double.infinity, composeNS = Double.infinity, sendNS = Double.infinity
for _ in 0..<3 {
    renderNS = min(renderNS, round { rendered($0).html.utf8.count })
    urlNS = min(urlNS, round { sendOptions.url(.unsubscribe, trackingID: sendIdentities[$0 % distinct].trackingID).utf8.count })
    composeNS = min(composeNS, round { composedOnly($0).count })
    sendNS = min(sendNS, round { renderedAndComposed($0).count })
}
let sendSize = renderedAndComposed(0).count
print("bench-send's delivery (\(sendSize) bytes a message, HMAC unsubscribe URL):")
print(String(format: "render (ProgramCompiledMessage):  %8.0f ns/message", renderNS))
print(String(format: "unsubscribe URL (SendingJob's):   %8.0f ns/message", urlNS))
print(String(format: "compose (rendered beforehand):    %8.0f ns/message", composeNS))
print(String(format: "render + URL + compose:           %8.0f ns/message", sendNS))
