import Foundation
import Synchronization

/// A progress display on standard error: on a terminal, one line redrawn in place with a
/// bar, the rate and the ETA; otherwise plain lines, one per ``advance(by:)``.
final class ProgressBar: Sendable {
    private struct State {
        var done = 0
        var finished = false
    }

    private let total: Int
    private let label: String
    private let start = ContinuousClock.now
    private let interactive: Bool
    private let state = Mutex(State())

    /// A bar for `total` items named `label` ("rows"); in place when standard error is
    /// a terminal.
    init(total: Int, label: String, interactive: Bool = Terminal.stderrIsTerminal) {
        self.total = total
        self.label = label
        self.interactive = interactive
    }

    /// Counts `count` more items done and shows it.
    func advance(by count: Int) {
        let done = state.withLock { state in
            state.done += count
            return state.done
        }
        if interactive {
            redraw()
        } else {
            Terminal.writeError("\(label): \(done)/\(total) (\(percent(done))%)\(rateText(done))\n")
        }
    }

    /// Redraws the line (on a terminal): the rate and ETA move even between updates.
    func redraw() {
        guard interactive else { return }
        let (done, finished) = state.withLock { ($0.done, $0.finished) }
        guard !finished else { return }
        Terminal.writeError("\r" + line(done) + "\u{1B}[K")
    }

    /// Ends the display: the final line stays, followed by a line break.
    func finish() {
        let (done, wasFinished) = state.withLock { state in
            defer { state.finished = true }
            return (state.done, state.finished)
        }
        if interactive, !wasFinished {
            Terminal.writeError("\r" + line(done) + "\u{1B}[K\n")
        }
    }

    /// Runs `body` while a task redraws the bar every 100 ms (on a terminal).
    func whileRedrawing<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        guard interactive else { return try await body() }
        let ticker = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                redraw()
            }
        }
        defer { ticker.cancel() }
        return try await body()
    }

    private var elapsed: Double {
        let duration = ContinuousClock.now - start
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private func percent(_ done: Int) -> Int {
        total == 0 ? 100 : done * 100 / total
    }

    private func rateText(_ done: Int) -> String {
        let seconds = elapsed
        guard seconds > 0, done > 0 else { return "" }
        return ", \(Int(Double(done) / seconds)) \(label)/s"
    }

    private func line(_ done: Int) -> String {
        let width = 30
        let filled = total == 0 ? width : min(width, done * width / total)
        let bar = Terminal.styled(String(repeating: "█", count: filled), .green, stderr: true)
            + Terminal.styled(String(repeating: "░", count: width - filled), .dim, stderr: true)
        let seconds = elapsed
        let rate = seconds > 0 ? Double(done) / seconds : 0
        var text = "\(bar) \(String(percent(done)).leftPadded(3))%  \(done)/\(total) \(label)"
        text += "  \(Int(rate)) \(label)/s"
        if done >= total {
            text += "  \(Self.duration(seconds))"
        } else if rate > 0 {
            text += "  ETA \(Self.duration(Double(total - done) / rate))"
        } else {
            text += "  ETA --"
        }
        return text
    }

    private static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        if whole < 60 { return String(format: "%.1fs", seconds) }
        return "\(whole / 60)m\(String(whole % 60).leftPadded(2, with: "0"))s"
    }
}

extension String {
    /// The string padded on the left to `width` characters.
    func leftPadded(_ width: Int, with pad: Character = " ") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
