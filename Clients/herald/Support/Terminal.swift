import Foundation

/// Where output goes and how it looks: colours and in-place redraws only on a terminal,
/// and colours never when `NO_COLOR` is set (https://no-color.org).
enum Terminal {
    /// Standard output is a terminal.
    static let stdoutIsTerminal = isatty(STDOUT_FILENO) == 1
    /// Standard error is a terminal (progress bars go there).
    static let stderrIsTerminal = isatty(STDERR_FILENO) == 1

    private static let noColor = !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty

    /// Colours on standard output.
    static let colorsOnStdout = stdoutIsTerminal && !noColor
    /// Colours on standard error.
    static let colorsOnStderr = stderrIsTerminal && !noColor

    /// A style applied with ANSI escapes.
    enum Style: String {
        case bold = "1"
        case dim = "2"
        case red = "31"
        case green = "32"
        case yellow = "33"
        case blue = "34"
        case cyan = "36"
    }

    /// `text` in `style` when colours are on for that stream.
    static func styled(_ text: String, _ style: Style, stderr: Bool = false) -> String {
        guard stderr ? colorsOnStderr : colorsOnStdout, !text.isEmpty else { return text }
        return "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m"
    }

    /// Writes `text` to standard error as is.
    static func writeError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Prints `error: message` on standard error.
    static func printError(_ message: String) {
        writeError(styled("error:", .red, stderr: true) + " " + message + "\n")
    }

    /// Prints a note on standard error.
    static func printNote(_ message: String) {
        writeError(styled(message, .dim, stderr: true) + "\n")
    }

    /// The display width of `text` (grapheme clusters; wide characters count once).
    static func width(_ text: String) -> Int {
        text.count
    }
}
