/// The progress of one preparation as an async sequence: the current snapshot first,
/// then a snapshot after each change (coalesced: a slow reader gets the newest state,
/// and every log entry once, in ``PreparationProgress/newLogEntries``), ending after the
/// snapshot with a final state.
///
/// Each watcher has its own sequence; watchers that come, go or read slowly change
/// nothing for the run or for the other watchers.
public struct PreparationWatch: AsyncSequence, Sendable {
    public typealias Element = PreparationProgress

    fileprivate enum Source: Sendable {
        case live(PreparationRun)
        case fixed(PreparationProgress)
    }

    private let source: Source

    init(run: PreparationRun) {
        source = .live(run)
    }

    init(final progress: PreparationProgress) {
        source = .fixed(progress)
    }

    /// Iterates over the snapshots.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private let source: Source
        private var signals: AsyncStream<Void>.AsyncIterator?
        private var cursor = 0
        private var started = false
        private var done = false

        fileprivate init(source: Source) {
            self.source = source
            if case .live(let run) = source { signals = run.subscribe().makeAsyncIterator() }
        }

        /// The next snapshot, or `nil` after the final one or when the task is cancelled.
        public mutating func next() async -> PreparationProgress? {
            guard !done, !Task.isCancelled else { return nil }
            switch source {
            case .fixed(let progress):
                done = true
                return progress
            case .live(let run):
                if started { _ = await signals?.next() }
                guard !Task.isCancelled else { return nil }
                started = true
                let (progress, next) = run.snapshot(logCursor: cursor)
                cursor = next
                if progress.state.isFinal { done = true }
                return progress
            }
        }
    }

    /// Starts a watch.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(source: source)
    }
}
