/// Messages handled per second over a sliding window (the last few seconds), not since
/// the start: what `WatchSending` reports as throughput and bases the estimated
/// completion on.
///
/// Times are offsets from any fixed origin (a run's start), so a test can drive it with
/// a fake clock. Counts fall into fixed buckets; the rate is the count in the buckets
/// that overlap the window, divided by the window (or by the time since the first
/// record while the window is not yet full).
public struct ThroughputWindow: Sendable {
    /// How far back the rate looks.
    public let window: Duration
    private let bucket: Duration
    private var buckets: [Int]
    /// The index (time / bucket) of the newest bucket; buckets older than the window are zero.
    private var newest: Int64 = 0
    private var first: Duration?

    /// A window of `window` (5 s by default) in `buckets` buckets.
    public init(window: Duration = .seconds(5), buckets: Int = 50) {
        let count = max(1, buckets)
        self.window = window
        self.bucket = window / count
        self.buckets = Array(repeating: 0, count: count)
    }

    /// Records `count` messages handled at `time`.
    public mutating func record(_ count: Int = 1, at time: Duration) {
        if first == nil { first = time }
        advance(to: time)
        let index = Int(Self.index(time, bucket) % Int64(buckets.count))
        buckets[index] += count
    }

    /// Messages per second at `time` over the window; 0 before anything was recorded.
    public mutating func rate(at time: Duration) -> Double {
        guard let first else { return 0 }
        advance(to: time)
        let total = buckets.reduce(0, +)
        let span = min(window, max(time - first, bucket))
        return Double(total) / Self.seconds(span)
    }

    private mutating func advance(to time: Duration) {
        let index = Self.index(time, bucket)
        guard index > newest else { return }
        let steps = min(index - newest, Int64(buckets.count))
        for step in 1...steps {
            buckets[Int((newest + step) % Int64(buckets.count))] = 0
        }
        newest = index
    }

    private static func index(_ time: Duration, _ bucket: Duration) -> Int64 {
        Int64((time / bucket).rounded(.down))
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
