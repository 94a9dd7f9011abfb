extension SendingEngine {
    /// How the engine sends.
    public struct Configuration: Sendable {
        /// Messages handed to the transport at once, per delivery (one sending lane
        /// each). A message counts until its outcome is committed to the ledger, so this
        /// also bounds what a crash can send twice. Over a ``SessionMailTransport`` each
        /// lane may also hold the next message begun (its envelope sent, its data not):
        /// it counts in flight too, but is not delivered before the previous outcome is
        /// committed, so the crash bound stays the same.
        public var maxInFlight: Int
        /// Messages in flight at once to one recipient domain (the part of the address
        /// after `@`, lowercased), per delivery.
        public var maxPerDomain: Int
        /// Attempts of a message answered with 4xx before it is FAILED
        /// (``MessageFailureReason/transientExhausted``).
        public var maxAttempts: Int
        /// The wait before the first retry; it doubles with each attempt.
        public var retryBase: Duration
        /// The longest wait between two attempts.
        public var retryCap: Duration
        /// After a 4xx from a domain, no message goes to that domain for this long; the
        /// wait doubles with each further 4xx from it and resets after a success.
        public var domainBackoffBase: Duration
        /// The longest wait of a domain's backoff.
        public var domainBackoffCap: Duration
        /// Soft failures of an address (TRANSIENT_EXHAUSTED or MAILBOX_FULL) within
        /// ``quarantineWindow`` that quarantine it, this one included.
        public var quarantineThreshold: Int
        /// How far back soft failures count toward ``quarantineThreshold``.
        public var quarantineWindow: Duration
        /// PENDING rows read per batch.
        public var batchSize: Int
        /// Outcomes committed to the ledger in one transaction at most.
        public var ledgerGroupSize: Int
        /// Read-ahead: once at most this many rows read are left to hand out, the next
        /// batch is read in the background, so that the lanes (and their chains on the
        /// SMTP event loop) do not run dry at a batch border. 0: the next batch is read
        /// only once every row read was handed out.
        public var readAhead: Int

        /// 8 in flight, 4 per domain, 5 attempts, retries after 1 s doubling up to 60 s,
        /// domain backoff 1 s doubling up to 60 s, quarantine after 3 soft failures in
        /// 30 days, batches of 500 (the next one read once 500 are left), group commits of
        /// at most 256 outcomes.
        public static var defaults: Configuration {
            Configuration(maxInFlight: 8, maxAttempts: 5, retryBase: .seconds(1), retryCap: .seconds(60), batchSize: 500)
        }

        /// Creates a configuration; `readAhead` `nil`: a batch.
        public init(
            maxInFlight: Int, maxPerDomain: Int = 4, maxAttempts: Int, retryBase: Duration, retryCap: Duration,
            domainBackoffBase: Duration = .seconds(1), domainBackoffCap: Duration = .seconds(60),
            quarantineThreshold: Int = 3, quarantineWindow: Duration = .seconds(30 * 86_400), batchSize: Int,
            ledgerGroupSize: Int = 256, readAhead: Int? = nil
        ) {
            self.maxInFlight = max(1, maxInFlight)
            self.maxPerDomain = max(1, maxPerDomain)
            self.maxAttempts = max(1, maxAttempts)
            self.retryBase = retryBase
            self.retryCap = retryCap
            self.domainBackoffBase = domainBackoffBase
            self.domainBackoffCap = domainBackoffCap
            self.quarantineThreshold = max(1, quarantineThreshold)
            self.quarantineWindow = quarantineWindow
            self.batchSize = max(1, batchSize)
            self.ledgerGroupSize = max(1, ledgerGroupSize)
            self.readAhead = max(0, readAhead ?? self.batchSize)
        }

        /// The wait after attempt number `attempts` (from 1).
        func backoff(after attempts: Int) -> Duration {
            Self.doubling(retryBase, times: attempts - 1, cap: retryCap)
        }

        /// The wait of a domain after its `failures`-th consecutive 4xx (from 1).
        func domainBackoff(after failures: Int) -> Duration {
            Self.doubling(domainBackoffBase, times: failures - 1, cap: domainBackoffCap)
        }

        private static func doubling(_ base: Duration, times: Int, cap: Duration) -> Duration {
            var wait = base
            var count = 0
            while count < times, wait < cap {
                wait = wait * 2
                count += 1
            }
            return min(wait, cap)
        }
    }
}
