extension KPIBoard {
    /// How the board follows deliveries.
    public struct Configuration: Sendable {
        /// How often the board polls the followed deliveries and publishes what changed:
        /// the coalescing interval (at most one snapshot per delivery per interval) and the
        /// bound on the delay from a change to its publication.
        public var interval: Duration
        /// How often a followed delivery that is not active (its counts do not move by
        /// sending) has its ledger counted again; its state is read every ``interval``.
        public var idleRecountInterval: Duration

        /// Creates a configuration.
        public init(interval: Duration = .milliseconds(100), idleRecountInterval: Duration = .seconds(2)) {
            self.interval = interval
            self.idleRecountInterval = idleRecountInterval
        }

        /// Polls every 100 ms; recounts idle deliveries every 2 s.
        public static var defaults: Configuration { Configuration() }
    }
}
