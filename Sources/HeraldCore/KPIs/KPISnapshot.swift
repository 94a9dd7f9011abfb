/// The live KPIs of one delivery at one moment (API.md, "KPIs while sending"): what
/// `WatchKpis` streams and `GetDelivery` returns in `Delivery.kpis`.
///
/// Three sources meet here: the preparation (``targeted``, ``toDeliver``), the ledger
/// (``ledger``, ``throughput``) and the tracking events (``engagement``).
///
/// **Sent and delivered.** ``sent`` counts the ledger rows in SENT: messages the relay
/// accepted (2xx) and that did not hard-bounce since (a hard bounce recorded after the
/// fact moves the row to FAILED, so it leaves ``sent`` and joins ``failed``). With
/// ``failed``, ``pending`` and ``cancelled`` it partitions the ledger, so
/// `sent + failed + pending + cancelled = to_deliver` in every snapshot.
/// ``delivered`` is ``sent`` minus the recipients whose accepted message soft-bounced
/// since (a soft bounce leaves the row SENT): accepted by the relay and not bounced since.
///
/// Rates are fractions in [0, 1], 0 when the divisor is 0.
public struct KPISnapshot: Hashable, Sendable {
    /// The delivery.
    public var deliveryID: String
    /// Its state when the snapshot was taken.
    public var state: Delivery.State
    /// Profiles matched by the audience at preparation (0 before).
    public var targeted: Int
    /// Messages the preparation kept for sending (0 before).
    public var toDeliver: Int
    /// The ledger counted by status.
    public var ledger: SendingCounts
    /// What recipients did with the messages.
    public var engagement: EngagementCounts
    /// Messages handled per second by the current run; 0 when not sending.
    public var throughput: Double
    /// When the snapshot was taken.
    public var updateTime: Timestamp

    /// Creates a snapshot.
    public init(
        deliveryID: String, state: Delivery.State, targeted: Int = 0, toDeliver: Int = 0, ledger: SendingCounts = SendingCounts(),
        engagement: EngagementCounts = EngagementCounts(), throughput: Double = 0, updateTime: Timestamp
    ) {
        self.deliveryID = deliveryID
        self.state = state
        self.targeted = targeted
        self.toDeliver = toDeliver
        self.ledger = ledger
        self.engagement = engagement
        self.throughput = throughput
        self.updateTime = updateTime
    }

    /// Messages accepted by the relay and not hard-bounced since (ledger rows in SENT).
    public var sent: Int { ledger.sent }
    /// Messages accepted by the relay and not bounced since: ``sent`` minus soft bounces.
    public var delivered: Int { max(0, ledger.sent - engagement.softBounces) }
    /// Messages that failed for good (including hard bounces after acceptance).
    public var failed: Int { ledger.failed }
    /// Messages not handled yet, or waiting for a retry.
    public var pending: Int { ledger.pending }
    /// Messages that will not be sent because the delivery was cancelled.
    public var cancelled: Int { ledger.cancelled }

    /// delivered ÷ targeted.
    public var deliveryRate: Double { Self.rate(delivered, targeted) }
    /// delivered ÷ to_deliver.
    public var deliveryRateToDeliver: Double { Self.rate(delivered, toDeliver) }
    /// opens ÷ delivered.
    public var openRate: Double { Self.rate(engagement.opens, delivered) }
    /// clicks ÷ delivered.
    public var clickRate: Double { Self.rate(engagement.clicks, delivered) }

    /// Whether the KPIs (everything but ``updateTime``) equal another snapshot's.
    public func hasSameKPIs(as other: KPISnapshot) -> Bool {
        var other = other
        other.updateTime = updateTime
        return self == other
    }

    /// `part ÷ whole`, 0 when `whole` is 0, at most 1.
    static func rate(_ part: Int, _ whole: Int) -> Double {
        guard whole > 0 else { return 0 }
        return min(1, Double(max(0, part)) / Double(whole))
    }
}
