/// Which opens count as machine opens: fetches of the open pixel that no person caused.
///
/// An open is a machine open when either
/// 1. its `User-Agent` is a known mail privacy proxy's or security scanner's (they fetch
///    every image of a message, read or not):
///    - Gmail's image proxy: contains `GoogleImageProxy`;
///    - Yahoo Mail's image proxy: contains `YahooMailProxy`;
///    - Apple Mail Privacy Protection: exactly `Mozilla/5.0` (its prefetcher sends that
///      and nothing more);
///    - link and image scanners of mail gateways: contains `Mimecast`, `Barracuda`,
///      `Proofpoint` or `Symantec` (case-insensitive);
///    - no `User-Agent` at all;
/// 2. or it arrives within the machine-open window (5 seconds by default,
///    ``TrackingRecorder/Configuration/machineOpenWindowSeconds``) after the message was
///    sent: receiving servers and proxies fetch on delivery, people read later. The
///    store applies this half, since it knows the send time.
///
/// A recipient whose opens are all machine opens counts in `machine_opens`; one human
/// open moves the recipient to `opens`.
public enum MachineOpenRule {
    /// Substrings (compared case-insensitively) of the user agents of proxies and scanners.
    public static let proxySubstrings = ["googleimageproxy", "yahoomailproxy", "mimecast", "barracuda", "proofpoint", "symantec"]
    /// User agents that are machine opens when they are the whole header.
    public static let exactAgents = ["", "Mozilla/5.0"]

    /// Whether `userAgent` is a known proxy's or scanner's (rule 1).
    public static func isMachineUserAgent(_ userAgent: String) -> Bool {
        let trimmed = userAgent.trimmingSpaces
        if exactAgents.contains(trimmed) { return true }
        let lower = trimmed.lowercased()
        return proxySubstrings.contains { lower.contains($0) }
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var view = Substring(self)
        while view.first == " " || view.first == "\t" { view.removeFirst() }
        while view.last == " " || view.last == "\t" { view.removeLast() }
        return String(view)
    }
}
