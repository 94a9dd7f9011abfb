import Foundation

/// A block of lines on standard output redrawn in place on a terminal: each update moves
/// the cursor back to the block's first line, prints the new log lines (they scroll up
/// and stay) and then the block again.
final class LiveView {
    private var drawnLines = 0

    /// Replaces the block with `block`, after printing `newLines` above it.
    func update(block: [String], newLines: [String] = []) {
        var text = ""
        if drawnLines > 0 {
            text += "\r\u{1B}[\(drawnLines)A\u{1B}[J"
        }
        for line in newLines {
            text += line + "\u{1B}[K\n"
        }
        for line in block {
            text += line + "\u{1B}[K\n"
        }
        drawnLines = block.count
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// A bar of `width` cells filled to `fraction` (0...1), coloured on a terminal.
    static func bar(_ fraction: Double, width: Int = 30) -> String {
        let filled = max(0, min(width, Int((fraction * Double(width)).rounded(.down))))
        return Terminal.styled(String(repeating: "█", count: filled), .green)
            + Terminal.styled(String(repeating: "░", count: width - filled), .dim)
    }

    /// `done` of `total` as a percentage, 100 when `total` is 0.
    static func percent(_ done: Int64, _ total: Int64) -> Int {
        total <= 0 ? 100 : Int(done * 100 / total)
    }
}
