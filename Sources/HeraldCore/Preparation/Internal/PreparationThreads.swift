import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The threads that run the CPU-heavy parts of preparations (rendering every message,
/// sorting a control group), off Swift's cooperative pool: on a 2-core machine, work
/// there would delay every other RPC for as long as it lasts.
///
/// A fixed number of serial dispatch queues (at most one per core); a run's task hands a
/// piece of work to one and suspends until it is done, so the cooperative threads stay
/// free. Pieces are short (a part of one batch), so a stop still takes effect within a
/// batch.
final class PreparationThreads: Sendable {
    private static let marker = DispatchSpecificKey<Bool>()
    private let queues: [DispatchQueue]

    /// How many worker queues there are.
    var count: Int { queues.count }

    /// The number of cores online (at least 1).
    static var coreCount: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Whether the caller runs on one of these threads (of any instance).
    static var isCurrent: Bool {
        DispatchQueue.getSpecific(key: marker) ?? false
    }

    /// Creates `count` workers, bounded to ``coreCount``.
    init(count: Int, label: String = "herald.preparation") {
        queues = (0..<max(1, min(count, Self.coreCount))).map { index in
            let queue = DispatchQueue(label: "\(label).\(index)", qos: .userInitiated)
            queue.setSpecific(key: Self.marker, value: true)
            return queue
        }
    }

    /// Runs `body` on worker `worker` (modulo ``count``) and returns its result.
    func run<T: Sendable>(on worker: Int = 0, _ body: @escaping @Sendable () -> T) async -> T {
        let queue = queues[worker % queues.count]
        return await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }

    /// Splits `0..<count` into at most ``count`` contiguous parts, runs `body` on each
    /// part on its own worker, and returns the results in order.
    func map<T: Sendable>(_ total: Int, _ body: @escaping @Sendable (Range<Int>) -> T) async -> [T] {
        guard total > 0 else { return [] }
        let parts = min(queues.count, total)
        let chunk = (total + parts - 1) / parts
        return await withTaskGroup(of: (Int, T).self) { group in
            for (part, start) in stride(from: 0, to: total, by: chunk).enumerated() {
                let range = start..<min(start + chunk, total)
                group.addTask { (part, await self.run(on: part) { body(range) }) }
            }
            var results: [(Int, T)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }
}
