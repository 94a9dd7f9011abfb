import Synchronization

/// One watcher of the ``KPIBoard``: a latest-value slot per delivery, not a queue.
///
/// The board ``post(_:)``s each changed snapshot into the slot of its delivery,
/// replacing the one the reader has not taken yet, and signals ``wakeups``; the reader
/// (one task, the one writing to the gRPC stream) calls ``take()`` after each wakeup. A
/// slow or stalled reader therefore gets fewer, newer snapshots, holds at most one
/// snapshot per delivery in memory, and never holds up the board or other watchers:
/// posting is a short lock and a non-blocking signal.
///
/// ``wakeups`` ends when the watch ends: the reader left (``KPIBoard/withWatch(deliveryID:_:)``
/// returned), the watched delivery was deleted (``endReason`` is ``EndReason/deleted``)
/// or the board stopped (``EndReason/shutdown``).
public final class KPIWatch: Sendable {
    /// Why a watch ended.
    public enum EndReason: Hashable, Sendable {
        /// The watched delivery was deleted.
        case deleted
        /// The board stopped running (the server is shutting down).
        case shutdown
        /// The reader left.
        case removed
    }

    private struct Slots {
        var latest: [String: KPISnapshot] = [:]
        var order: [String] = []
        var endReason: EndReason?
    }

    /// The watched delivery, or `nil` for every active one.
    public let deliveryID: String?
    private let slots = Mutex(Slots())
    private let signal: AsyncStream<Void>.Continuation
    /// Yields after posts (one buffered signal); ends when the watch ends.
    public let wakeups: AsyncStream<Void>

    init(deliveryID: String?) {
        self.deliveryID = deliveryID
        (wakeups, signal) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Leaves a snapshot for the reader, replacing the one of the same delivery it has
    /// not taken yet.
    func post(_ snapshot: KPISnapshot) {
        let posted = slots.withLock { slots -> Bool in
            guard slots.endReason == nil else { return false }
            if slots.latest.updateValue(snapshot, forKey: snapshot.deliveryID) == nil {
                slots.order.append(snapshot.deliveryID)
            }
            return true
        }
        if posted { signal.yield() }
    }

    /// The snapshots posted since the last call, newest per delivery, in the order their
    /// deliveries were first posted.
    public func take() -> [KPISnapshot] {
        slots.withLock { slots in
            defer {
                slots.latest.removeAll(keepingCapacity: true)
                slots.order.removeAll(keepingCapacity: true)
            }
            return slots.order.compactMap { slots.latest[$0] }
        }
    }

    /// Why the watch ended, `nil` while it runs.
    public var endReason: EndReason? {
        slots.withLock { $0.endReason }
    }

    /// Ends the watch: ``wakeups`` finishes after the snapshots already signalled.
    func end(_ reason: EndReason) {
        slots.withLock { slots in
            if slots.endReason == nil { slots.endReason = reason }
        }
        signal.finish()
    }
}
