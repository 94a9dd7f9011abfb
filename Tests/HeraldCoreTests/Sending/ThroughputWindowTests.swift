import HeraldCore
import Testing

@Suite("ThroughputWindow: recent throughput on a fake clock")
struct ThroughputWindowTests {
    @Test("Nothing recorded: 0")
    func empty() {
        var window = ThroughputWindow()
        #expect(window.rate(at: .seconds(3)) == 0)
    }

    @Test("A steady 100 messages/s reads 100/s once the window is full")
    func steady() {
        var window = ThroughputWindow(window: .seconds(5), buckets: 50)
        for tick in 0..<1_000 { window.record(1, at: .milliseconds(10 * tick)) }  // 10 s at 100/s
        let rate = window.rate(at: .milliseconds(10_000))
        #expect(abs(rate - 100) < 3, "rate \(rate)")
    }

    @Test("The rate follows the last seconds, not the average since the start")
    func recentNotAverage() {
        var window = ThroughputWindow(window: .seconds(5), buckets: 50)
        // 20 s at 1,000/s, then 10 s at 10/s: the average since the start is ~670/s.
        for tick in 0..<20_000 { window.record(1, at: .milliseconds(tick)) }
        for tick in 0..<100 { window.record(1, at: .milliseconds(20_000 + 100 * tick)) }
        let rate = window.rate(at: .seconds(30))
        #expect(abs(rate - 10) < 1, "rate \(rate)")
    }

    @Test("A stall empties the window: the rate drops to 0 after it")
    func stall() {
        var window = ThroughputWindow(window: .seconds(5), buckets: 50)
        for tick in 0..<500 { window.record(1, at: .milliseconds(10 * tick)) }
        #expect(window.rate(at: .seconds(5)) > 90)
        #expect(window.rate(at: .seconds(11)) == 0)
    }

    @Test("Before the window is full, the rate is over the time since the first record")
    func warmUp() {
        var window = ThroughputWindow(window: .seconds(5), buckets: 50)
        window.record(200, at: .seconds(1))
        window.record(200, at: .seconds(2))
        let rate = window.rate(at: .seconds(3))
        #expect(abs(rate - 200) < 1, "rate \(rate)")
    }
}
