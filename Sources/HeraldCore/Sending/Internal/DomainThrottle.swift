/// Per recipient domain: how many messages are in flight (at most
/// ``SendingEngine/Configuration/maxPerDomain``) and the backoff after a 4xx reply: the
/// domain gets no message for ``SendingEngine/Configuration/domainBackoffBase``, doubled
/// with each further consecutive 4xx up to ``SendingEngine/Configuration/domainBackoffCap``,
/// and a success resets it. The relay itself backs off the same way when it cannot be
/// reached (connection refused, timeout, 421): no message goes anywhere until the wait is
/// over, and any reply resets it. A value owned by one sending loop.
struct DomainThrottle: Sendable {
    /// What the relay said about a message, as far as its domain is concerned.
    enum Result: Sendable {
        /// 2xx.
        case accepted
        /// 4xx: the domain backs off.
        case deferred
        /// No reply (connection refused or lost, timeout) or 421: the relay backs off.
        case relayDown
    }

    private struct State {
        var inFlight = 0
        var failures = 0
        var blockedUntil: ContinuousClock.Instant?
    }

    private let maxPerDomain: Int
    private let configuration: SendingEngine.Configuration
    private var domains: [String: State] = [:]
    private var relayFailures = 0
    private var relayBlockedUntil: ContinuousClock.Instant?

    init(configuration: SendingEngine.Configuration) {
        self.maxPerDomain = configuration.maxPerDomain
        self.configuration = configuration
    }

    /// Whether a message to `domain` may start now.
    func allows(_ domain: String, at time: ContinuousClock.Instant) -> Bool {
        if let until = relayBlockedUntil, until > time { return false }
        guard let state = domains[domain] else { return true }
        if let until = state.blockedUntil, until > time { return false }
        return state.inFlight < maxPerDomain
    }

    /// The earliest end of a backoff after `time`, if a domain is backing off.
    func nextOpening(after time: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        (domains.values.compactMap(\.blockedUntil) + [relayBlockedUntil].compactMap { $0 }).filter { $0 > time }.min()
    }

    /// Whether `domain` is backing off at `time`.
    func isBackingOff(_ domain: String, at time: ContinuousClock.Instant) -> Bool {
        domains[domain]?.blockedUntil.map { $0 > time } ?? false
    }

    mutating func started(_ domain: String) {
        domains[domain, default: State()].inFlight += 1
    }

    mutating func finished(_ domain: String, _ result: Result?, at time: ContinuousClock.Instant) {
        var state = domains[domain, default: State()]
        state.inFlight = max(0, state.inFlight - 1)
        switch result {
        case .accepted:
            state.failures = 0
            state.blockedUntil = nil
            relayFailures = 0
        case .deferred:
            state.failures += 1
            state.blockedUntil = time + configuration.domainBackoff(after: state.failures)
            relayFailures = 0
        case .relayDown:
            relayFailures += 1
            relayBlockedUntil = time + configuration.domainBackoff(after: relayFailures)
        case nil:
            break
        }
        if state.inFlight == 0, state.failures == 0 {
            domains[domain] = nil
        } else {
            domains[domain] = state
        }
    }
}
