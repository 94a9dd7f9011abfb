/// What a server offers in its EHLO reply.
struct SMTPExtensions: Hashable, Sendable {
    var pipelining = false
    var startTLS = false
    var eightBitMIME = false
    /// The `SIZE` limit; 0 when offered without a limit, `nil` when not offered.
    var size: Int?
    /// The `AUTH` mechanisms, uppercased.
    var authMechanisms: Set<String> = []

    init() {}

    /// Parses the lines of a 250 reply to EHLO (the first is the greeting line).
    init(ehloReply: SMTPReply) {
        for line in ehloReply.lines.dropFirst() {
            let words = line.split(separator: " ").map { $0.uppercased() }
            guard let keyword = words.first else { continue }
            switch keyword {
            case "PIPELINING": pipelining = true
            case "STARTTLS": startTLS = true
            case "8BITMIME": eightBitMIME = true
            case "SIZE": size = words.count > 1 ? Int(words[1]) ?? 0 : 0
            case "AUTH": authMechanisms.formUnion(words.dropFirst())
            default:
                // Old servers write `AUTH=LOGIN PLAIN`.
                if keyword.hasPrefix("AUTH=") {
                    authMechanisms.insert(String(keyword.dropFirst(5)))
                    authMechanisms.formUnion(words.dropFirst())
                }
            }
        }
    }
}
