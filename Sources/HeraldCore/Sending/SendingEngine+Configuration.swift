extension SendingEngine {
    /// How the engine sends.
    public struct Configuration: Sendable {
        /// Messages handed to the transport at once, per delivery.
        public var maxInFlight: Int
        /// Attempts of a message answered with 4xx before it is FAILED
        /// (``MessageFailureReason/transientExhausted``).
        public var maxAttempts: Int
        /// The wait before the first retry; it doubles with each attempt.
        public var retryBase: Duration
        /// The longest wait between two attempts.
        public var retryCap: Duration
        /// PENDING rows read per batch.
        public var batchSize: Int

        /// 8 in flight, 5 attempts, retries after 1 s doubling up to 60 s, batches of 500.
        public static var defaults: Configuration {
            Configuration(maxInFlight: 8, maxAttempts: 5, retryBase: .seconds(1), retryCap: .seconds(60), batchSize: 500)
        }

        /// Creates a configuration.
        public init(maxInFlight: Int, maxAttempts: Int, retryBase: Duration, retryCap: Duration, batchSize: Int) {
            self.maxInFlight = max(1, maxInFlight)
            self.maxAttempts = max(1, maxAttempts)
            self.retryBase = retryBase
            self.retryCap = retryCap
            self.batchSize = max(1, batchSize)
        }

        /// The wait after attempt number `attempts` (from 1).
        func backoff(after attempts: Int) -> Duration {
            var wait = retryBase
            for _ in 1..<max(1, attempts) where wait < retryCap { wait = wait * 2 }
            return min(wait, retryCap)
        }
    }
}
