import HeraldCore
import Synchronization

/// A sending progress source whose answers the test sets, counting the calls per delivery.
final class ScriptedProgress: SendingProgressSource {
    private let state = Mutex<(progress: [String: SendingProgress], calls: [String: Int])>(([:], [:]))

    func set(_ id: String, state deliveryState: Delivery.State, counts: SendingCounts, throughput: Double = 0) {
        state.withLock {
            $0.progress[id] = SendingProgress(
                deliveryID: id, state: deliveryState, counts: counts, throughput: throughput, updateTime: Timestamp(seconds: 1)
            )
        }
    }

    func calls(_ id: String) -> Int {
        state.withLock { $0.calls[id] ?? 0 }
    }

    func progress(deliveryID: String) async throws -> SendingProgress {
        try state.withLock { state in
            state.calls[deliveryID, default: 0] += 1
            guard let progress = state.progress[deliveryID] else { throw HeraldError.notFound("no progress for '\(deliveryID)'") }
            return progress
        }
    }
}

/// An engagement store whose persisted counts the test sets.
final class ScriptedEngagement: EngagementStore {
    private let counts = Mutex<[String: EngagementCounts]>([:])

    func set(_ id: String, _ value: EngagementCounts) {
        counts.withLock { $0[id] = value }
    }

    func engagementCounts(deliveryID: String) async throws -> EngagementCounts {
        counts.withLock { $0[deliveryID] ?? EngagementCounts() }
    }
}

/// A delivery in `state` that was prepared with `targeted` and `toDeliver`.
func preparedDelivery(_ id: String, state: Delivery.State, targeted: Int, toDeliver: Int) -> Delivery {
    Delivery(
        id: id, name: id, state: state,
        content: Delivery.Content(subject: "Hi", sender: Delivery.Sender(address: "news@example.com"), htmlBody: "<p>Hi</p>"),
        preparation: Delivery.PreparationSummary(targeted: targeted, toDeliver: toDeliver, state: .succeeded),
        createTime: Timestamp(seconds: 1), updateTime: Timestamp(seconds: 1)
    )
}
