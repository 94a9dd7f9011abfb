/// A complete SMTP reply (RFC 5321 §4.2), possibly multi-line, with its enhanced status
/// code (RFC 3463) when the server gives one.
public struct SMTPReply: Hashable, Sendable, CustomStringConvertible {
    /// The three-digit reply code (`250`, `451`, `550`, …).
    public var code: Int
    /// The enhanced status code of the first line (`5.1.1`), if any.
    public var enhancedCode: String?
    /// The text of each line, after the code and separator (and without the enhanced code).
    public var lines: [String]

    /// Creates a reply.
    public init(code: Int, enhancedCode: String? = nil, lines: [String]) {
        self.code = code
        self.enhancedCode = enhancedCode
        self.lines = lines
    }

    /// Whether the code is 2xx.
    public var isPositive: Bool { (200..<300).contains(code) }
    /// Whether the code is 4xx.
    public var isTransient: Bool { (400..<500).contains(code) }
    /// Whether the code is 5xx.
    public var isPermanent: Bool { (500..<600).contains(code) }

    /// The reply on one line: `550 5.1.1 no such user`.
    public var description: String {
        // Built in one string (this runs for every message sent: the ledger's reply text).
        var text = String(code)
        text.reserveCapacity(
            4 + (enhancedCode?.utf8.count ?? 0) + lines.reduce(0) { $0 + $1.utf8.count + 3 }
        )
        if let enhancedCode {
            text.append(" ")
            text.append(enhancedCode)
        }
        for (index, line) in lines.enumerated() {
            text.append(index == 0 ? " " : " / ")
            text.append(line)
        }
        return text
    }
}
