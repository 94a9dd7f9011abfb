/// An SMTP relay to send through: a host name or IP address and a port.
public struct SMTPRelay: Hashable, Sendable, CustomStringConvertible {
    /// The host name or IP address.
    public var host: String
    /// The TCP port (25, 587, or a test server's).
    public var port: Int

    /// Creates a relay address.
    public init(host: String, port: Int = 25) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `host` (port 25) or `[v6]:port`; `nil` when malformed.
    public init?(_ string: String) {
        var s = Substring(string)
        var host: Substring
        var portText: Substring?
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { return nil }
            host = s[s.index(after: s.startIndex)..<close]
            s = s[s.index(after: close)...]
            if s.hasPrefix(":") { portText = s.dropFirst() } else if !s.isEmpty { return nil }
        } else if let colon = s.lastIndex(of: ":"), s.firstIndex(of: ":") == colon {
            host = s[..<colon]
            portText = s[s.index(after: colon)...]
        } else {
            host = s
        }
        guard !host.isEmpty else { return nil }
        var port = 25
        if let portText {
            guard let p = Int(portText), (1...65_535).contains(p) else { return nil }
            port = p
        }
        self.init(host: String(host), port: port)
    }

    /// Whether the host is an IPv4 or IPv6 address rather than a name.
    public var isIPAddress: Bool {
        host.contains(":") || (!host.isEmpty && host.utf8.allSatisfy { $0 == UInt8(ascii: ".") || (48...57).contains($0) })
    }

    /// Whether the host is on this machine: 127.0.0.0/8, ::1 or localhost.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || (isIPAddress && host.hasPrefix("127."))
    }

    /// `host:port`.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
