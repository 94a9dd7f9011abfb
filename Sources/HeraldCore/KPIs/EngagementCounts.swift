/// What recipients did with a delivery's messages once sent: the tracking half of the
/// KPIs (the sending half comes from the ledger, ``SendingCounts``).
///
/// Distinct counts (`opens`, `machineOpens`, `clicks`, `unsubscribes`, bounces,
/// complaints) count recipients (ledger rows), each at most once (`opens` and
/// `machineOpens` are disjoint); `totalOpens` and `totalClicks` count every recorded
/// event.
public struct EngagementCounts: Hashable, Sendable {
    /// Recipients with at least one human open (an open not counted as a machine open).
    public var opens: Int
    /// Recipients whose opens are all machine opens (a mail privacy proxy's or scanner's
    /// fetch, or an open within seconds of the send); a later human open moves the
    /// recipient to ``opens``. `opens + machineOpens` is every recipient who opened.
    public var machineOpens: Int
    /// Every recorded open.
    public var totalOpens: Int
    /// Recipients who clicked at least once.
    public var clicks: Int
    /// Every recorded click.
    public var totalClicks: Int
    /// Recipients who unsubscribed through this delivery.
    public var unsubscribes: Int
    /// Recipients whose message hard-bounced after it was sent.
    public var hardBounces: Int
    /// Recipients whose message soft-bounced after it was sent.
    public var softBounces: Int
    /// Recipients who complained (marked the message as spam).
    public var complaints: Int

    /// Creates counts; every count is zero by default.
    public init(
        opens: Int = 0, machineOpens: Int = 0, totalOpens: Int = 0, clicks: Int = 0, totalClicks: Int = 0,
        unsubscribes: Int = 0, hardBounces: Int = 0, softBounces: Int = 0, complaints: Int = 0
    ) {
        self.opens = opens
        self.machineOpens = machineOpens
        self.totalOpens = totalOpens
        self.clicks = clicks
        self.totalClicks = totalClicks
        self.unsubscribes = unsubscribes
        self.hardBounces = hardBounces
        self.softBounces = softBounces
        self.complaints = complaints
    }
}
