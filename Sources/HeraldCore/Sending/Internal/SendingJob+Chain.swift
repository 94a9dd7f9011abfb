import Synchronization

extension SendingJob {
    /// A lane's steady state carried by its session's thread
    /// (``ChainingMailSession/chain(thenBegin:advance:)``): each time the relay accepts
    /// the message whose data went out and the message begun with it is ready, the
    /// accepted message's outcome joins the group commit of that thread's wake-up
    /// (``TickCommitter``); once committed it is settled, the next message is taken at
    /// once (``Lanes/next(at:immediately:)``) and composed, and the session chains it.
    /// Anything else (no message at once, a stop, a message settled without sending, a
    /// commit error) ends the chain and the lane's task goes on from where it is
    /// (``State``), as it does without chaining.
    ///
    /// Runs on the session's thread (an event loop): composing (about 10 µs) and the
    /// group commit (about 30–60 µs when the store's writer is idle, else queued without
    /// waiting) are the only work done there per message; nothing waits or sleeps.
    final class Chain: Sendable {
        struct State {
            /// The message whose data goes out in the next exchange.
            var current: Work
            /// The message begun in the same exchange, and its mail.
            var next: (work: Work, mail: OutgoingMail)?
            /// A message taken and settled without sending (expired, quarantined, no
            /// profile, not renderable): its update, for the lane to commit.
            var unsent: (work: Work, update: LedgerUpdate)?
        }

        let state: Mutex<State>
        private let job: SendingJob
        private let lanes: Lanes
        private let commits: TickCommitter
        private let schedule: @Sendable (@escaping @Sendable () -> Void) -> Void

        init(
            _ job: SendingJob, lanes: Lanes, commits: TickCommitter, current: Work, next: (work: Work, mail: OutgoingMail),
            schedule: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void
        ) {
            self.job = job
            self.lanes = lanes
            self.commits = commits
            self.schedule = schedule
            self.state = Mutex(State(current: current, next: next))
        }

        /// The session's `advance`: the current message was accepted with `reply`, the
        /// next one is begun.
        func advance(_ reply: String, _ then: @escaping @Sendable (OutgoingMail?) -> Void) {
            let (accepted, begun) = state.withLock { ($0.current, $0.next?.work) }
            guard let begun else { return then(nil) }
            let entry = accepted.entry
            let update = LedgerUpdate.sent(
                sequence: entry.message.sequence, attempts: entry.attempts + 1, reply: reply, time: job.now()
            )
            commits.record(update, schedule: schedule) { error in
                self.committed(accepted, begun, error, then)
            }
        }

        /// After the accepted message's commit: settles it and takes the next message.
        private func committed(
            _ accepted: Work, _ begun: Work, _ error: (any Error)?, _ then: @escaping @Sendable (OutgoingMail?) -> Void
        ) {
            if let error {
                job.logger.error(
                    "cannot record a message's outcome", metadata: job.metadata(error, sequence: accepted.entry.message.sequence)
                )
            } else {
                job.run.handled(1)
            }
            let instant = ContinuousClock.now
            lanes.settle(Completion(domainResult: .accepted), domain: accepted.domain, at: instant)
            state.withLock {
                $0.current = begun
                $0.next = nil
            }
            guard error == nil, !job.run.stopRequested,
                case .send(let work, let quarantined)? = lanes.next(at: instant, immediately: true)
            else {
                return then(nil)
            }
            switch job.compose(work, quarantined: quarantined) {
            case .mail(let mail):
                state.withLock { $0.next = (work, mail) }
                then(mail)
            case .unsent(let update):
                state.withLock { $0.unsent = (work, update) }
                then(nil)
            }
        }
    }
}
