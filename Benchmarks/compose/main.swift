// `make bench-compose`: the CPU cost of composing one message (rendered content → RFC 5322
// bytes) in the shape of `make bench-send`'s deliveries (~4 KB: HTML of about 1,900 bytes,
// its text part derived from it, List-Unsubscribe), some with non-ASCII names in the
// subject and some with tracked links and the open pixel. One core, release build.
//
//     HeraldBenchCompose [messages] [composer-only]
//
// Prints CPU ns per message (this thread's CPU time) for MailComposer (one per delivery, as heraldd keeps it), for
// MailMessage.referenceRendered() (the writer it replaced) and for a plain copy of the
// message's bytes (a floor), best of 3 rounds each; checks that both writers agree.
import Foundation
import HeraldMail

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

/// The bytes with the boundary (the documented difference) replaced by a placeholder.
func normalized(_ bytes: [UInt8]) -> String {
    let text = String(decoding: bytes, as: UTF8.self)
    guard let start = text.range(of: "boundary=\""), let end = text[start.upperBound...].firstIndex(of: "\"") else { return text }
    return text.replacingOccurrences(of: String(text[start.upperBound..<end]), with: "BOUNDARY")
}

if CommandLine.arguments.dropFirst(2).first == "composer-only" {
    // For a profiler: the composer alone.
    var total = 0
    for k in 0..<count { total &+= composed(k).count }
    print("composed \(count) messages, \(total) bytes")
    exit(0)
}

var mismatches = 0
for k in 0..<distinct where normalized(reference(k)) != normalized(composed(k)) { mismatches += 1 }
let copies = (0..<distinct).map { reference($0) }
let averageSize = copies.reduce(0) { $0 + $1.count } / distinct

/// This thread's CPU time in seconds (steadier than the wall clock on a shared machine).
func cpuSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// CPU ns per message of one round of `count` messages.
func round(_ body: (Int) -> [UInt8]) -> Double {
    var bytes = 0
    let start = cpuSeconds()
    for k in 0..<count { bytes &+= body(k).count }
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

_ = round(composed)
// Rounds alternated, the best of 3 of each.
var newNS = Double.infinity, referenceNS = Double.infinity, floorNS = Double.infinity
for _ in 0..<3 {
    newNS = min(newNS, round(composed))
    referenceNS = min(referenceNS, round(reference))
    floorNS = min(floorNS, round(copyOf))
}
print("messages: \(count) x ~\(averageSize) bytes (\(distinct) distinct; 1 in 5 with a non-ASCII name, 1 in 3 tracked)")
print(String(format: "MailComposer:                    %8.0f ns/message", newNS))
print(String(format: "reference (referenceRendered):   %8.0f ns/message", referenceNS))
print(String(format: "floor (copy of the bytes):       %8.0f ns/message", floorNS))
print(String(format: "composer / reference: %.2f", newNS / referenceNS))
print("outputs differing from the reference (boundary aside): \(mismatches) of \(distinct)")
