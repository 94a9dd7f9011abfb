import Foundation
import Synchronization

/// The recipients of the demo delivery, simulated: reads the messages the capture relay
/// wrote, and for a deterministic fraction of the recipients fetches the open pixel and
/// (for a smaller fraction) a click link over HTTP, as their mail client would.
///
/// Who opens and who clicks depends only on the recipient's address (FNV-1a), so every
/// run of the demo has the same audience. Only URLs under the tracking base (plain http
/// on the loopback interface) are fetched, and a click's redirect is never followed. An
/// answer that is not 2xx or 3xx, or a failed connection, is counted, never fatal.
///
/// ``run()`` follows the outbox while the delivery is being sent, concurrently with
/// whatever view the caller shows; call ``finishWhenIdle()`` once sending has ended and
/// `run()` returns after the last message has been read. ``progress`` can be read at any
/// time from any task.
final class SimulatedAudience: Sendable {
    /// What the audience does.
    struct Configuration: Sendable {
        /// The folder of `.eml` files.
        var outbox: String
        /// The tracking links' base URL, e.g. `http://127.0.0.1:8080`.
        var trackingBase: String
        /// The fraction of recipients who open (0...1).
        var openRate: Double
        /// The fraction of recipients who click (0...openRate): clickers are openers.
        var clickRate: Double
        /// Requests in flight at once.
        var concurrency = 4
    }

    /// Counts so far.
    struct Progress: Sendable, Equatable {
        /// Messages read from the outbox.
        var messagesRead = 0
        /// Messages whose recipient opens (and clicks) in this simulation.
        var openers = 0
        var clickers = 0
        /// Pixel and click requests answered with 2xx or 3xx.
        var opensFetched = 0
        var clicksFetched = 0
        /// Requests answered otherwise, or that got no answer, by status ("404", "connect").
        var failures: [String: Int] = [:]
        /// Messages that had no open pixel or no click link under the tracking base.
        var messagesWithoutPixel = 0
        var messagesWithoutLink = 0

        /// Every failed request.
        var failed: Int { failures.values.reduce(0, +) }
    }

    /// One recipient's choice.
    struct Choice: Equatable {
        var opens: Bool
        var clicks: Bool
        /// Which click link (index into the message's links).
        var link: Int
    }

    let configuration: Configuration
    private let state = Mutex(State())

    private struct State {
        var progress = Progress()
        var seen: Set<String> = []
        var finishWhenIdle = false
    }

    init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// The counts so far.
    var progress: Progress { state.withLock { $0.progress } }

    /// Lets ``run()`` return once the outbox has no message left to read.
    func finishWhenIdle() {
        state.withLock { $0.finishWhenIdle = true }
    }

    /// Follows the outbox until ``finishWhenIdle()`` was called and every message has
    /// been read and acted on; returns the final counts.
    func run() async -> Progress {
        while !Task.isCancelled {
            let finishing = state.withLock { $0.finishWhenIdle }
            let files = newFiles()
            if files.isEmpty {
                if finishing { break }
                try? await Task.sleep(for: .milliseconds(200))
                continue
            }
            for chunk in stride(from: 0, to: files.count, by: 500).map({ Array(files[$0..<min($0 + 500, files.count)]) }) {
                await act(on: chunk)
                if Task.isCancelled { break }
            }
        }
        return progress
    }

    /// The choice of the recipient `address` for the given rates.
    static func choice(for address: String, openRate: Double, clickRate: Double) -> Choice {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in address.lowercased().utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        let first = Double(hash % 10_000) / 10_000
        let second = Double((hash / 10_000) % 10_000) / 10_000
        let opens = first < openRate
        let clicks = opens && openRate > 0 && second < clickRate / openRate
        return Choice(opens: opens, clicks: clicks, link: Int((hash >> 40) % 1_024))
    }

    /// The `.eml` files not read yet, in name order (the relay writes each one whole,
    /// by rename, so a listed file is complete).
    private func newFiles() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: configuration.outbox)) ?? []
        return state.withLock { state in
            let fresh = names.filter { $0.hasSuffix(".eml") && !state.seen.contains($0) }.sorted()
            state.seen.formUnion(fresh)
            return fresh
        }
    }

    /// Reads `files`, picks who opens and clicks, and fetches those URLs.
    private func act(on files: [String]) async {
        var requests: [(LoopbackHTTP.Target, isClick: Bool)] = []
        var read = Progress()
        for name in files {
            guard let data = FileManager.default.contents(atPath: configuration.outbox + "/" + name) else { continue }
            let message = CapturedMessage(eml: [UInt8](data))
            read.messagesRead += 1
            let choice = Self.choice(for: message.recipient, openRate: configuration.openRate, clickRate: configuration.clickRate)
            let pixels = message.trackingURLs(base: configuration.trackingBase, kind: "o").compactMap(LoopbackHTTP.Target.init)
            let links = message.trackingURLs(base: configuration.trackingBase, kind: "c").compactMap(LoopbackHTTP.Target.init)
            if pixels.isEmpty { read.messagesWithoutPixel += 1 }
            if links.isEmpty { read.messagesWithoutLink += 1 }
            if choice.opens {
                read.openers += 1
                if let pixel = pixels.first { requests.append((pixel, false)) }
            }
            if choice.clicks {
                read.clickers += 1
                if !links.isEmpty { requests.append((links[choice.link % links.count], true)) }
            }
        }
        state.withLock { state in
            state.progress.messagesRead += read.messagesRead
            state.progress.openers += read.openers
            state.progress.clickers += read.clickers
            state.progress.messagesWithoutPixel += read.messagesWithoutPixel
            state.progress.messagesWithoutLink += read.messagesWithoutLink
        }
        guard !requests.isEmpty else { return }
        let workers = max(1, configuration.concurrency)
        let pending = requests
        // Blocking sockets: on Dispatch worker threads, not on the cooperative pool.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    for index in stride(from: worker, to: pending.count, by: workers) {
                        let (target, isClick) = pending[index]
                        let outcome: String?
                        do throws(LoopbackHTTP.Error) {
                            let status = try LoopbackHTTP.get(target)
                            outcome = (200..<400).contains(status) ? nil : String(status)
                        } catch {
                            outcome = error.description.hasPrefix("connect") ? "connection refused" : "no answer"
                        }
                        self.state.withLock { state in
                            if let outcome {
                                state.progress.failures[outcome, default: 0] += 1
                            } else if isClick {
                                state.progress.clicksFetched += 1
                            } else {
                                state.progress.opensFetched += 1
                            }
                        }
                    }
                }
                continuation.resume()
            }
        }
    }
}
