extension EngagementCounts {
    /// The field-wise maximum of two readings of the same delivery. Every count only
    /// grows, so this is the newer of two readings that may arrive out of order (a
    /// store read racing a pushed change).
    public func merged(with other: EngagementCounts) -> EngagementCounts {
        EngagementCounts(
            opens: max(opens, other.opens), machineOpens: max(machineOpens, other.machineOpens),
            totalOpens: max(totalOpens, other.totalOpens), clicks: max(clicks, other.clicks),
            totalClicks: max(totalClicks, other.totalClicks), unsubscribes: max(unsubscribes, other.unsubscribes),
            hardBounces: max(hardBounces, other.hardBounces), softBounces: max(softBounces, other.softBounces),
            complaints: max(complaints, other.complaints)
        )
    }
}
