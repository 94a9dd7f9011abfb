extension FailureReason {
    /// The reason for a 5xx reply: the enhanced status code when there is one
    /// (`5.1.1` user unknown, `5.1.2`/`5.1.10`/`5.4.4` invalid domain, `5.2.2` mailbox
    /// full, `5.3.4`/`5.2.3`/`5.6.x` content, `5.7.x` refused), else the basic code and
    /// the text (`550` user unknown unless the text speaks of policy, DNS or a domain,
    /// `552` mailbox full, `553` user unknown, `554` refused).
    public init(permanentReply reply: SMTPReply) {
        let text = reply.lines.joined(separator: " ").lowercased()
        if let enhanced = reply.enhancedCode {
            let parts = enhanced.split(separator: ".")
            if parts.count == 3 {
                switch (parts[1], parts[2]) {
                case ("1", "1"), ("1", "3"), ("1", "6"), ("2", "1"): self = .userUnknown; return
                case ("1", "2"), ("1", "10"), ("4", "4"): self = .invalidDomain; return
                case ("2", "2"): self = .mailboxFull; return
                case ("2", "3"), ("3", "4"): self = .rejectedContent; return
                case ("6", _): self = .rejectedContent; return
                case ("7", _): self = .refused; return
                default: break
                }
            }
        }
        if Self.mentionsDomain(text) { self = .invalidDomain; return }
        switch reply.code {
        case 550:
            self = Self.mentionsPolicy(text) ? .refused : .userUnknown
        case 551, 553:
            self = .userUnknown
        case 552:
            self = .mailboxFull
        default:
            self = .refused
        }
    }

    /// The reason for a 4xx reply: `4.2.2`/`452` mailbox full, `421`/`4.4.x`
    /// unreachable, `4.7.x` refused (greylisting, rate limits), else ``deferred``.
    public init(transientReply reply: SMTPReply) {
        if let enhanced = reply.enhancedCode {
            let parts = enhanced.split(separator: ".")
            if parts.count == 3 {
                switch (parts[1], parts[2]) {
                case ("2", "2"): self = .mailboxFull; return
                case ("4", _): self = .unreachable; return
                case ("7", _): self = .refused; return
                default: break
                }
            }
        }
        switch reply.code {
        case 421: self = .unreachable
        case 452 where reply.lines.joined().lowercased().contains("full"): self = .mailboxFull
        default: self = .deferred
        }
    }

    private static func mentionsDomain(_ text: String) -> Bool {
        text.contains("dns") || text.contains("domain not found") || text.contains("unknown domain")
            || text.contains("domain does not exist") || text.contains("host not found") || text.contains("no mx")
    }

    private static func mentionsPolicy(_ text: String) -> Bool {
        text.contains("policy") || text.contains("spam") || text.contains("blocked") || text.contains("denied")
            || text.contains("reputation") || text.contains("blacklist") || text.contains("blocklist")
    }
}
