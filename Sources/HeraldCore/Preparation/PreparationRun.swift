import Synchronization

/// The live state of one preparation run: what snapshots and watches read.
///
/// The run's task writes it after every batch; any number of watchers read it. State
/// lives in a `Mutex`; watchers are woken through one `AsyncStream<Void>` each, buffering
/// the newest signal only, so a slow watcher coalesces updates and never slows the run.
final class PreparationRun: Sendable {
    struct State {
        var state: PreparationState = .running
        var phase: PreparationPhase?
        var processed = 0
        var total = 0
        var kpis = PreparationKPIs()
        var errorCount = 0
        var warningCount = 0
        var log: [PreparationLogEntry] = []
        var nextWatcher = 0
        var watchers: [Int: AsyncStream<Void>.Continuation] = [:]
        /// Whether ``PreparationEngine/stop(deliveryID:)`` asked the run to stop.
        var stopRequested = false
        /// Whether the run's end is being recorded (too late to stop it).
        var finishing = false
    }

    let deliveryID: String
    let startTime: Timestamp
    private let now: @Sendable () -> Timestamp
    private let state: Mutex<State>

    init(deliveryID: String, startTime: Timestamp, now: @escaping @Sendable () -> Timestamp) {
        self.deliveryID = deliveryID
        self.startTime = startTime
        self.now = now
        self.state = Mutex(State())
    }

    func withState<T>(_ body: (inout State) -> T) -> T {
        state.withLock { body(&$0) }
    }

    /// Updates the progress and wakes the watchers.
    func publish(_ body: (inout State) -> Void) {
        state.withLock { state in
            body(&state)
            for watcher in state.watchers.values { watcher.yield() }
        }
    }

    /// Appends log entries, numbering them; returns them numbered.
    func appendLog(_ entries: [(LogSeverity, String, String, PreparationPhase?, String)]) -> [PreparationLogEntry] {
        let time = now()
        var numbered: [PreparationLogEntry] = []
        publish { state in
            for (severity, code, message, phase, profileID) in entries {
                let entry = PreparationLogEntry(
                    sequence: state.log.count + 1, time: time, severity: severity, code: code, message: message,
                    phase: phase, profileID: profileID
                )
                state.log.append(entry)
                numbered.append(entry)
                if severity == .error && code != PreparationLogCode.summary { state.errorCount += 1 }
                if severity == .warning && code != PreparationLogCode.summary { state.warningCount += 1 }
            }
        }
        return numbered
    }

    /// Ends the run and every watch.
    func finish(_ final: PreparationState, replacingLogWith log: [PreparationLogEntry]? = nil, kpis: PreparationKPIs? = nil) {
        // Watchers are finished outside the lock: finishing runs their termination
        // handlers, which take the lock.
        let watchers = state.withLock { state -> [AsyncStream<Void>.Continuation] in
            state.state = final
            if let log {
                state.log = log
                state.errorCount = log.count { $0.severity == .error && $0.code != PreparationLogCode.summary }
                state.warningCount = log.count { $0.severity == .warning && $0.code != PreparationLogCode.summary }
            }
            if let kpis { state.kpis = kpis }
            let watchers = Array(state.watchers.values)
            state.watchers = [:]
            return watchers
        }
        for watcher in watchers {
            watcher.yield()
            watcher.finish()
        }
    }

    /// The snapshot now, with the log entries after the first `logCursor`; also returns
    /// the new cursor.
    func snapshot(logCursor: Int) -> (PreparationProgress, Int) {
        let time = now()
        return state.withLock { state in
            let start = min(max(logCursor, 0), state.log.count)
            let progress = PreparationProgress(
                deliveryID: deliveryID, state: state.state, phase: state.phase, processed: state.processed,
                total: state.total, kpis: state.kpis, errorCount: state.errorCount, warningCount: state.warningCount,
                newLogEntries: Array(state.log[start...]), updateTime: time
            )
            return (progress, state.log.count)
        }
    }

    /// A signal stream for a new watcher; it finishes when the run ends.
    func subscribe() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let registered: Int? = state.withLock { state in
            guard !state.state.isFinal else { return nil }
            let id = state.nextWatcher
            state.nextWatcher += 1
            state.watchers[id] = continuation
            return id
        }
        guard let id = registered else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
        }
        return stream
    }
}
