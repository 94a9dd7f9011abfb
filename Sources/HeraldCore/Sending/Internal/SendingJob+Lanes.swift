import Synchronization

extension SendingJob {
    /// What a lane does next (``Lanes/next(at:)``).
    enum Step: Sendable {
        /// Send this message (counted in flight and started for its domain, ``Work/domain``).
        case send(Work, quarantined: Bool)
        /// Wait for a message in flight to settle, a batch to arrive or the run to end.
        case park(UInt64)
        /// Nothing in flight: wait for a retry, a domain's backoff or the rate limit.
        case sleep(until: ContinuousClock.Instant)
        /// Everything read was handed out and settled: look for PENDING rows from the start.
        case lastLook
        /// The run is asked to stop, or it is over.
        case exit
    }

    /// The state a run's lanes share, behind one lock: the rows read and not yet handed
    /// out, the messages held back for their domain, the retries, the domain throttle, the
    /// rate limit and the messages in flight. A lane asks ``next(at:)`` what to do, so the
    /// next message goes out from the lane that settled the previous one (no hand-off to
    /// a loop and back, no task per message); the decisions are those of one loop.
    ///
    /// Rows are read by the job's reader task (``readRequests``), one batch at a time:
    /// once at most ``SendingEngine/Configuration/readAhead`` rows read are left to hand
    /// out, the next batch is asked for and appended when it arrives, so that the lanes
    /// find a message at a batch border instead of parking (and their chains on the
    /// event loop do not end there).
    final class Lanes: Sendable {
        /// How often the lanes ran out of rows to hand out, per run (logged at its end).
        struct Figures: Sendable {
            /// Batches asked for (the empty one at the end included).
            var reads = 0
            /// Asked for a message to send at once (a chain, a lane's next message) and
            /// none was read yet: the chain ended for want of a message at a batch border.
            var dryChainEnds = 0
            /// A lane parked until a batch arrived.
            var parkedForRows = 0
            /// From asking for a batch to having it, in all and at most.
            var readTime = Duration.zero
            var longestRead = Duration.zero
        }

        struct State {
            var buffer: [Work] = []
            var position = 0
            var cursor = 0
            var exhausted = false
            /// A batch is asked for or being read (by the reader task).
            var reading = false
            var readAsked = ContinuousClock.now
            var lookingLast = false
            var retries: [Retry] = []
            /// Read but held back: their domain is at its bound or backing off.
            var held: [Work] = []
            var throttle: DomainThrottle
            var quarantined: Set<String> = []
            var nextSlot: ContinuousClock.Instant
            var inFlight = 0
            var generation: UInt64 = 0
            var parked: [CheckedContinuation<Void, Never>] = []
            var outcome: Outcome?
            var figures = Figures()
        }

        private enum Source {
            case retry(Int), held(Int), buffer
        }

        let state: Mutex<State>
        /// The cursors of the batches to read (after this sequence number), one at a time:
        /// the job's reader task reads each and hands it to ``batchRead(_:quarantined:)``.
        let readRequests: AsyncStream<Int>
        private let requests: AsyncStream<Int>.Continuation
        private let run: SendingRun
        private let interval: Duration?
        private let heldLimit: Int
        private let readAhead: Int

        /// `interval`: the time between two messages under the delivery's rate limit, if any.
        init(configuration: SendingEngine.Configuration, run: SendingRun, interval: Duration?) {
            self.run = run
            self.interval = interval
            self.heldLimit = max(configuration.batchSize, configuration.maxInFlight * 4)
            self.readAhead = configuration.readAhead
            self.state = Mutex(State(throttle: DomainThrottle(configuration: configuration), nextSlot: .now))
            (readRequests, requests) = AsyncStream.makeStream(of: Int.self)
        }

        /// No batch will be asked for any more (every lane exited): the reader task ends
        /// once it handed over the batch it may be reading.
        func endReading() {
            requests.finish()
        }

        /// The run's figures so far.
        var figures: Figures { state.withLock { $0.figures } }

        /// What the calling lane does next.
        func next(at instant: ContinuousClock.Instant) -> Step {
            // Never `nil` when not `immediately`.
            next(at: instant, immediately: false) ?? .exit
        }

        /// What the calling lane does next; `immediately`: only a message to send now
        /// (`nil` instead of waiting, a last look or the end; nothing changes then but
        /// the next batch may be asked for). Asks for the next batch when few rows are
        /// left to hand out.
        func next(at instant: ContinuousClock.Instant, immediately: Bool) -> Step? {
            if run.stopRequested { return immediately ? nil : .exit }
            let (step, read) = state.withLock { s -> (Step?, Int?) in
                if s.outcome != nil { return (immediately ? nil : .exit, nil) }
                let step = take(&s, at: instant, immediately: immediately)
                return (step, readAhead(&s))
            }
            if let read { requests.yield(read) }
            return step
        }

        /// Under the lock: the next step (``next(at:immediately:)``).
        private func take(_ s: inout State, at instant: ContinuousClock.Instant, immediately: Bool) -> Step? {
            let throttle = s.throttle
            var source: Source?
            if let index = s.retries.firstIndex(where: { $0.due <= instant && throttle.allows($0.work.domain, at: instant) }) {
                source = .retry(index)
            } else if let index = s.held.firstIndex(where: { throttle.allows($0.domain, at: instant) }) {
                source = .held(index)
            } else {
                while s.position < s.buffer.count, s.held.count < heldLimit {
                    if throttle.allows(s.buffer[s.position].domain, at: instant) {
                        source = .buffer
                        break
                    }
                    s.held.append(s.buffer[s.position])
                    s.position += 1
                }
            }
            guard let source else {
                guard immediately else { return idle(&s, at: instant) }
                if s.position >= s.buffer.count, !s.exhausted, s.held.count < heldLimit { s.figures.dryChainEnds += 1 }
                return nil
            }
            if let interval {
                if s.nextSlot > instant { return immediately ? nil : .sleep(until: s.nextSlot) }
                s.nextSlot = max(s.nextSlot, instant - interval) + interval
            }
            let work: Work
            switch source {
            case .retry(let index): work = s.retries.remove(at: index).work
            case .held(let index): work = s.held.remove(at: index)
            case .buffer:
                work = s.buffer[s.position]
                s.position += 1
            }
            s.inFlight += 1
            run.state.withLock { $0.inFlight += 1 }
            s.throttle.started(work.domain)
            return .send(work, quarantined: s.quarantined.contains(work.foldedAddress))
        }

        /// Under the lock: the cursor to read the next batch after, when it is to be read
        /// now (at most ``SendingEngine/Configuration/readAhead`` rows left to hand out, no
        /// batch being read, rows maybe left, room for the rows held back).
        private func readAhead(_ s: inout State) -> Int? {
            guard !s.reading, !s.exhausted, !s.lookingLast, s.held.count < heldLimit,
                s.buffer.count - s.position <= readAhead
            else { return nil }
            s.reading = true
            s.readAsked = .now
            s.figures.reads += 1
            return s.cursor
        }

        /// Nothing can be handed out now: wait (for a batch too) or look for what is left.
        private func idle(_ s: inout State, at instant: ContinuousClock.Instant) -> Step {
            if s.position >= s.buffer.count, !s.exhausted, s.held.count < heldLimit {
                // The next batch is being read (or asked for now, ``readAhead(_:)``).
                s.figures.parkedForRows += 1
                return .park(s.generation)
            }
            if s.inFlight > 0 || s.reading || s.lookingLast { return .park(s.generation) }
            if !s.retries.isEmpty || !s.held.isEmpty {
                let wake = ([s.throttle.nextOpening(after: instant)] + s.retries.map(\.due)).compactMap { $0 }.min()
                return .sleep(until: min(wake ?? instant, instant + .milliseconds(50)))
            }
            s.lookingLast = true
            return .lastLook
        }

        /// A message's outcome is committed (or could not be): it is no longer in flight.
        func settle(_ completion: Completion, domain: String, at instant: ContinuousClock.Instant) {
            // Settles and takes the parked lanes under one lock (what ``wakeAll()`` does).
            let waiting = state.withLock { s -> [CheckedContinuation<Void, Never>] in
                s.inFlight -= 1
                s.throttle.finished(domain, completion.domainResult, at: instant)
                if let retry = completion.retry { s.retries.append(retry) }
                return Self.takeParked(&s)
            }
            run.state.withLock { $0.inFlight -= 1 }
            for continuation in waiting { continuation.resume() }
        }

        /// The batch asked for (``readRequests``): empty at the end, or when it failed;
        /// `nil` when it was not read (the run is asked to stop). Its rows follow those
        /// not handed out yet.
        func batchRead(_ read: [Work]?, quarantined: Set<String>) {
            state.withLock { s in
                s.reading = false
                let time = ContinuousClock.now - s.readAsked
                s.figures.readTime += time
                s.figures.longestRead = max(s.figures.longestRead, time)
                guard let read else { return }
                s.quarantined.formUnion(quarantined)
                if s.position > 0 {
                    s.buffer.removeFirst(s.position)
                    s.position = 0
                }
                s.buffer.append(contentsOf: read)
                if let last = read.last { s.cursor = last.entry.message.sequence } else { s.exhausted = true }
            }
            wakeAll()
        }

        /// The outcome of a `.lastLook` step; returns whether the run is over (then every
        /// lane exits). Otherwise reading starts again from the first row.
        func lastLooked(nothingLeft: Bool) -> Bool {
            let over = state.withLock { s -> Bool in
                s.lookingLast = false
                guard nothingLeft else {
                    s.cursor = 0
                    s.exhausted = false
                    return false
                }
                let completing = run.state.withLock { state -> Bool in
                    guard state.stop == nil else { return false }
                    state.finishing = true
                    return true
                }
                s.outcome = completing ? .completed : .stopped
                return true
            }
            if over { wakeAll() }
            return over
        }

        /// Waits until something changed since `generation` (a settle, a batch, the end).
        func park(_ generation: UInt64) async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let changed = state.withLock { s -> Bool in
                    guard s.generation == generation else { return true }
                    s.parked.append(continuation)
                    return false
                }
                if changed { continuation.resume() }
            }
        }

        /// Wakes the parked lanes (they ask ``next(at:)`` again).
        func wakeAll() {
            let waiting = state.withLock { Self.takeParked(&$0) }
            for continuation in waiting { continuation.resume() }
        }

        /// Under the lock: a new generation (a change parking lanes must not miss), and the
        /// parked lanes to resume once the lock is released.
        private static func takeParked(_ s: inout State) -> [CheckedContinuation<Void, Never>] {
            s.generation &+= 1
            guard !s.parked.isEmpty else { return [] }
            let waiting = s.parked
            s.parked = []
            return waiting
        }
    }
}
