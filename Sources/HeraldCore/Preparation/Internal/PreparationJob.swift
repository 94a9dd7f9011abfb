import Logging

/// The work of one preparation run, phase by phase. Runs in the run's task; checks for
/// cancellation after every batch, so a stop takes effect within one batch.
struct PreparationJob: Sendable {
    /// How a run ended, as the job saw it.
    enum Outcome: Sendable {
        case finished(PreparationState, PreparationKPIs)
        case cancelled
    }

    let delivery: Delivery
    let run: PreparationRun
    let store: any PreparationStore
    let renderer: any MessageRenderer
    let options: RenderingOptions
    let configuration: PreparationEngine.Configuration
    let threads: PreparationThreads
    let now: @Sendable () -> Timestamp
    let logger: Logger

    func execute() async -> Outcome {
        let context = JobContext(job: self)
        do {
            try await context.runPhases()
            return .finished(context.errorCount > 0 ? .failed : .succeeded, context.kpis)
        } catch {
            if run.withState({ $0.stopRequested }) || Task.isCancelled { return .cancelled }
            logger.error(
                "preparation failed", metadata: ["herald.delivery.id": "\(delivery.id)", "herald.error": "\(error)"]
            )
            // Record the failure; the task is not cancelled, so the store can be written.
            _ = try? await context.log(
                .error, PreparationLogCode.internalError, "The preparation failed: \(error)", phase: context.phase
            )
            _ = try? await context.writeSummary(failed: true)
            return .finished(.failed, context.kpis)
        }
    }
}

/// The sizes of a batch's messages (-1 when rendering failed) and the reason of each
/// failure, by offset in the batch.
private struct RenderedSizes: Sendable {
    var sizes: [Int32]
    var failures: [(Int, String)]
}

/// The mutable state of one run, used by its task only.
private final class JobContext {
    let job: PreparationJob
    var kpis = PreparationKPIs()
    var candidates = CandidateList()
    var errorCount = 0
    var warningCount = 0
    var phase: PreparationPhase?
    let clock = ContinuousClock()
    let started: ContinuousClock.Instant
    var compiled: (any CompiledMessage)?
    /// The profile fields the templates use (what targeting reads to render).
    var projection = ProfileProjection()
    /// How many PENDING ledger rows PERSONALIZING wrote (`nil` when it did not write the
    /// whole ledger: FINALIZING writes it).
    var ledgerWritten: Int?

    private var delivery: Delivery { job.delivery }
    private var store: any PreparationStore { job.store }
    private var batchSize: Int { max(1, job.configuration.batchSize) }

    init(job: PreparationJob) {
        self.job = job
        started = clock.now
    }

    // MARK: Phases

    func runPhases() async throws {
        try await store.discardPreparation(deliveryID: delivery.id)
        let checks = ControlChecks.run(delivery, renderer: job.renderer)
        projection = ProfileProjection(templates: checks.analyses)
        for finding in checks.findings { try await log(finding.severity, finding.code, finding.message, phase: nil) }
        if checks.templatesParse {
            do {
                compiled = try job.renderer.compile(delivery.content, options: job.options)
            } catch {
                try await log(.error, PreparationLogCode.templateSyntaxError, "Template syntax error in \(error).", phase: nil)
            }
        }
        guard let audience = try await parseFilter(delivery.audience.filter, what: "The audience filter") else {
            return try await writeSummary(failed: true)
        }
        var ruleFilters: [AudienceFilter] = []
        var filterRuleIndices: [Int] = []
        for (index, rule) in delivery.typology.rules.enumerated() {
            guard case .filtering(let name, let source) = rule else { continue }
            guard let filter = try await parseFilter(source, what: "The filter of the filtering rule '\(name)'") else {
                return try await writeSummary(failed: true)
            }
            ruleFilters.append(filter)
            filterRuleIndices.append(index)
        }
        try await target(audience, ruleFilters: ruleFilters, filterRuleIndices: filterRuleIndices)
        try await applyRules()
        try await personalize()
        try await finalize()
    }

    private func parseFilter(_ source: String, what: String) async throws -> AudienceFilter? {
        do {
            return try AudienceFilter(parsing: source)
        } catch {
            try await log(.error, PreparationLogCode.invalidFilter, "\(what) is invalid: \(error.message)", phase: nil)
            return nil
        }
    }

    private func begin(_ phase: PreparationPhase, total: Int) {
        self.phase = phase
        job.run.publish { state in
            state.phase = phase
            state.processed = 0
            state.total = total
        }
    }

    private func progress(processed: Int) {
        let kpis = self.kpis
        job.run.publish { state in
            state.processed = processed
            state.kpis = kpis
        }
    }

    private func phaseDone(_ phase: PreparationPhase, since start: ContinuousClock.Instant, _ message: String) async throws {
        let elapsed = clock.now - start
        try await log(.info, PreparationLogCode.phaseCompleted, "\(phase) done in \(Self.format(elapsed)): \(message)", phase: phase)
        job.logger.debug(
            "preparation phase done",
            metadata: ["herald.delivery.id": "\(delivery.id)", "herald.phase": "\(phase)", "herald.elapsed": "\(elapsed)"]
        )
    }

    /// TARGETING: stream the audience in batches, apply the address checks (7, 8, 9, 10,
    /// 14 in that order), and gather the facts the rules need (filter matches in the
    /// store, sent counts for pressure rules).
    ///
    /// When the content compiled without error, each batch is read with the profile
    /// fields the templates use and the messages of the profiles that passed the address
    /// checks are rendered (on the preparation threads, which also make the profiles from
    /// the rows, while the next batch is read and checked): the profiles are read once,
    /// and PERSONALIZING keeps the results of the profiles the rules kept (the others'
    /// are ignored, as if never rendered).
    private func target(_ audience: AudienceFilter, ruleFilters: [AudienceFilter], filterRuleIndices: [Int]) async throws {
        let start = clock.now
        // The first batch is read while the target is counted, and each next batch while
        // the one before is checked (one read ahead).
        let store = self.store, batchSize = self.batchSize
        let render: (any CompiledMessage)? = errorCount == 0 ? compiled : nil
        let projection: ProfileProjection? = render == nil ? nil : self.projection
        func read(after cursor: String?) -> Task<[TargetRow], any Error> {
            Task {
                try await store.targetBatch(
                    audience: audience, ruleFilters: ruleFilters, projection: projection, after: cursor, limit: batchSize
                )
            }
        }
        var next: Task<[TargetRow], any Error>? = read(after: nil)
        defer { next?.cancel() }
        let total = try await store.countTargets(audience: audience)
        begin(.targeting, total: total)
        try Task.checkCancellation()
        let pressureRules: [(index: Int, maxMessages: Int, since: Timestamp)] = delivery.typology.rules.enumerated()
            .compactMap { index, rule in
                guard case .pressure(_, let maxMessages, let periodDays) = rule else { return nil }
                return (index, maxMessages, job.now().adding(seconds: -Int64(periodDays) * 86_400))
            }
        // Sized for the whole target once, not rehashed as it grows (capped: the count is
        // an estimate when profiles change meanwhile).
        var seen = AddressKeySet(minimumCapacity: min(total, 50_000_000))
        candidates.reserveCapacity(min(total, 50_000_000))
        var processed = 0
        // One exclusion write in flight, awaited before the next and before leaving.
        var exclusionWrite: Task<Void, any Error>? = nil
        // One batch's rendering in flight (on the preparation threads) while the next
        // batch is checked: its results are collected before the next rendering starts
        // and before leaving. `renderFirst` is the candidate index of its first message.
        var rendering: Task<RenderedSizes, Never>? = nil
        var renderFirst = 0
        do {
            while let reading = next {
                let rows = try await reading.value
                try Task.checkCancellation()
                guard let last = rows.last else { break }
                next = rows.count < batchSize ? nil : read(after: last.id)
                kpis.target(rows.count)
                var exclusions: [Exclusion] = []
                // Rows are referred to by index (a row holds a profile: copies cost).
                var passing: [Int] = []
                passing.reserveCapacity(rows.count)
                for i in rows.indices {
                    if rows[i].email.isEmpty {
                        exclusions.append(Exclusion(profileID: rows[i].id, address: rows[i].email, cause: .addressNotSpecified))
                    } else if rows[i].subscription != .subscribed {
                        exclusions.append(Exclusion(profileID: rows[i].id, address: rows[i].email, cause: .denylisted))
                    } else {
                        passing.append(i)
                    }
                }
                let quarantined = passing.isEmpty ? [] : try await store.quarantinedAddresses(among: passing.map { rows[$0].email })
                var kept: [Int] = []
                kept.reserveCapacity(passing.count)
                for i in passing {
                    let email = rows[i].email
                    if !quarantined.isEmpty && quarantined.contains(email) {
                        exclusions.append(Exclusion(profileID: rows[i].id, address: email, cause: .quarantined))
                    } else if !seen.insert(AddressKey(email)) {
                        exclusions.append(Exclusion(profileID: rows[i].id, address: email, cause: .duplicate))
                    } else if !EmailAddress.isValid(email) {
                        exclusions.append(Exclusion(profileID: rows[i].id, address: email, cause: .badQualityAddress))
                    } else {
                        kept.append(i)
                    }
                }
                var pressureBits = [UInt64](repeating: 0, count: kept.count)
                if !pressureRules.isEmpty && !kept.isEmpty {
                    let ids = kept.map { rows[$0].id }
                    for rule in pressureRules {
                        let counts = try await store.sentMessageCounts(profileIDs: ids, since: rule.since)
                        guard !counts.isEmpty else { continue }
                        for (k, id) in ids.enumerated() where counts[id, default: 0] >= rule.maxMessages {
                            pressureBits[k] |= 1 << UInt64(rule.index)
                        }
                    }
                }
                // The exclusions are written while the messages are rendered.
                for exclusion in exclusions { kpis.exclude(exclusion.cause) }
                try await exclusionWrite?.value
                exclusionWrite = nil
                if !exclusions.isEmpty {
                    let deliveryID = delivery.id
                    exclusionWrite = Task { [exclusions] in try await store.appendExclusions(exclusions, deliveryID: deliveryID) }
                }
                let first = candidates.count
                for (k, i) in kept.enumerated() {
                    var bits = pressureBits[k]
                    let matches = rows[i].filterMatches
                    for (f, ruleIndex) in filterRuleIndices.enumerated() where matches & (1 << UInt64(f)) != 0 {
                        bits |= 1 << UInt64(ruleIndex)
                    }
                    candidates.append(key: rows[i].key, id: rows[i].id, email: rows[i].email, ruleBits: bits)
                }
                if let render {
                    // The previous batch's sizes first (candidates are in order), then
                    // this batch's rendering starts and runs while the next is checked.
                    if let previous = rendering { collect(await previous.value, first: renderFirst) }
                    renderFirst = first
                    rendering = Self.startRendering(
                        render, rows, kept, deliveryID: delivery.id, firstSequence: first + 1, threads: job.threads
                    )
                }
                processed += rows.count
                progress(processed: processed)
                try Task.checkCancellation()
            }
            if let previous = rendering { collect(await previous.value, first: renderFirst) }
            rendering = nil
            try await exclusionWrite?.value
        } catch {
            _ = await rendering?.value
            _ = await exclusionWrite?.result
            throw error
        }
        job.run.publish { $0.total = max($0.total, processed) }
        try await phaseDone(
            .targeting, since: start,
            "\(kpis.targeted) profiles targeted, \(kpis.targeted - candidates.count) excluded by the address checks."
        )
    }

    /// RULES: the typology rules in order, over the profiles still kept.
    private func applyRules() async throws {
        let start = clock.now
        let rules = delivery.typology.rules
        begin(.rules, total: rules.count)
        var exclusionWrite: Task<Void, any Error>? = nil
        var pending: [Exclusion] = []
        func exclude(_ index: Int, _ cause: ExclusionCause, _ rule: String) {
            candidates.causes[index] = UInt8(cause.rawValue)
            kpis.exclude(cause)
            pending.append(Exclusion(profileID: candidates.ids[index], address: candidates.emails[index], cause: cause, ruleName: rule))
        }
        // A stop or failure waits for the write in flight: none lands after a discard.
        do {
            for (ruleIndex, rule) in rules.enumerated() {
                let bit: UInt64 = 1 << UInt64(ruleIndex)
                switch rule {
                case .filtering(let name, _), .pressure(let name, _, _):
                    let cause: ExclusionCause = if case .filtering = rule { .excludedByFilter } else { .excludedAfterArbitration }
                    for i in 0..<candidates.count where candidates.isKept(i) && candidates.ruleBits[i] & bit != 0 {
                        exclude(i, cause, name)
                    }
                case .capacity(let name, let maxMessages):
                    var kept = 0
                    for i in 0..<candidates.count where candidates.isKept(i) {
                        if kept < maxMessages { kept += 1 } else { exclude(i, .targetLimited, name) }
                    }
                case .controlGroup(let name, let size, let seed):
                    var scored: [(score: UInt64, index: Int)] = []
                    for i in 0..<candidates.count where candidates.isKept(i) {
                        scored.append((Mix.splitMix(candidates.idHashes[i] ^ seed), i))
                    }
                    let held: Int
                    switch size {
                    case .percent(let percent):
                        held = min(scored.count, Int((Double(scored.count) * percent / 100).rounded(.toNearestOrAwayFromZero)))
                    case .count(let count):
                        held = min(scored.count, max(0, count))
                    }
                    if held > 0 {
                        // Selected on a preparation thread (a large population takes a while).
                        let chosen = await job.threads.run { [scored] in
                            Selection.smallest(held, of: scored).map(\.index)
                        }
                        for index in chosen { exclude(index, .controlGroup, name) }
                    }
                }
                try Task.checkCancellation()
                // This rule's exclusions are written while the next rules are applied (one
                // write in flight, awaited before the next and before leaving the phase).
                var written = 0
                while written < pending.count {
                    let chunk = Array(pending[written..<min(written + batchSize, pending.count)])
                    written += chunk.count
                    try await exclusionWrite?.value
                    let store = self.store, deliveryID = delivery.id
                    exclusionWrite = Task { try await store.appendExclusions(chunk, deliveryID: deliveryID) }
                    try Task.checkCancellation()
                }
                pending.removeAll(keepingCapacity: true)
                progress(processed: ruleIndex + 1)
            }
        } catch {
            _ = await exclusionWrite?.result
            throw error
        }
        try await exclusionWrite?.value
        exclusionWrite = nil
        try await phaseDone(.rules, since: start, "\(rules.count) typology rules applied, \(kpis.toDeliver) messages left.")
    }

    /// PERSONALIZING: every kept message was rendered as it was targeted (bodies are not
    /// kept: sending renders them again); exclude the profiles whose message failed (21),
    /// check sizes, and write the PENDING ledger rows batch by batch (FINALIZING then has
    /// none left to write). When a message exceeds the size limit (an ERROR: the
    /// preparation fails), no further row is written and those already written stay
    /// PENDING until the next preparation or a stop discards them; a failed preparation
    /// is never sent.
    private func personalize() async throws {
        let start = clock.now
        let kept = (0..<candidates.count).filter(candidates.isKept)
        begin(.personalizing, total: kept.count)
        guard compiled != nil, errorCount == 0, candidates.sizes.count == candidates.count else {
            try await log(
                .info, PreparationLogCode.phaseCompleted,
                "PERSONALIZING skipped: the content has errors, no message was rendered.", phase: .personalizing
            )
            return
        }
        let warningLimit = job.configuration.warningMessageSize, errorLimit = job.configuration.maxMessageSize
        var largest = 0, largestProfile = "", overWarning = 0, overError = 0, failures = 0
        var exclusions: [Exclusion] = []
        let deliveryID = delivery.id
        var offset = 0
        // The PENDING rows of each batch are written while the next batch is checked
        // (one write in flight, awaited before the next and before returning or throwing,
        // so a stop never races a write).
        var ledgerWrite: Task<Void, any Error>? = nil
        var ledgerRows = 0
        var writingLedger = true
        do {
            while offset < kept.count {
                let indices = kept[offset..<min(offset + batchSize, kept.count)]
                for index in indices {
                    let size = Int(candidates.sizes[index])
                    if size >= 0 {
                        if size > largest { largest = size; largestProfile = candidates.ids[index] }
                        if size > errorLimit { overError += 1 } else if size > warningLimit { overWarning += 1 }
                        continue
                    }
                    failures += 1
                    candidates.causes[index] = UInt8(ExclusionCause.personalizationError.rawValue)
                    kpis.exclude(.personalizationError)
                    exclusions.append(Exclusion(profileID: candidates.ids[index], address: candidates.emails[index], cause: .personalizationError))
                    if failures <= job.configuration.maxLoggedProfileErrors {
                        let reason = candidates.renderFailures[index] ?? "unknown error"
                        try await log(
                            .warning, PreparationLogCode.personalizationError,
                            "The message of profile '\(candidates.ids[index])' cannot be personalized: \(reason)",
                            phase: .personalizing, profileID: candidates.ids[index]
                        )
                    }
                }
                if !exclusions.isEmpty {
                    try await store.appendExclusions(exclusions, deliveryID: deliveryID)
                    exclusions.removeAll(keepingCapacity: true)
                }
                // A message above the size limit fails the preparation: no more rows then.
                if overError > 0 { writingLedger = false }
                var rows: [PreparedMessage] = []
                if writingLedger {
                    rows.reserveCapacity(indices.count)
                    for index in indices where candidates.isKept(index) {
                        rows.append(PreparedMessage(
                            deliveryID: deliveryID, sequence: index + 1, profileID: candidates.ids[index],
                            address: candidates.emails[index],
                            trackingID: PreparedMessage.trackingID(deliveryID: deliveryID, sequence: index + 1)
                        ))
                    }
                }
                try await ledgerWrite?.value
                ledgerWrite = nil
                if !rows.isEmpty {
                    ledgerRows += rows.count
                    let store = self.store
                    ledgerWrite = Task { [rows] in try await store.appendMessages(rows) }
                }
                offset += indices.count
                progress(processed: offset)
                try Task.checkCancellation()
            }
            try await ledgerWrite?.value
        } catch {
            _ = await ledgerWrite?.result
            throw error
        }
        if writingLedger { ledgerWritten = ledgerRows }
        if failures > job.configuration.maxLoggedProfileErrors {
            try await log(
                .warning, PreparationLogCode.personalizationError,
                "\(failures - job.configuration.maxLoggedProfileErrors) more messages could not be personalized.",
                phase: .personalizing
            )
        }
        if overError > 0 {
            try await log(
                .error, PreparationLogCode.messageTooLarge,
                "\(overError) messages are larger than \(errorLimit / 1024) KB (largest: \(largest) bytes, profile '\(largestProfile)').",
                phase: .personalizing
            )
        } else if overWarning > 0 {
            try await log(
                .warning, PreparationLogCode.messageTooLarge,
                "\(overWarning) messages are larger than \(warningLimit / 1024) KB (largest: \(largest) bytes, profile '\(largestProfile)').",
                phase: .personalizing
            )
        }
        try await phaseDone(
            .personalizing, since: start,
            "\(kept.count) messages rendered, \(failures) personalization errors, largest \(largest) bytes."
        )
    }

    /// The messages of the profiles of `rows[kept]`, numbered from `firstSequence`,
    /// rendered on the preparation threads (which also make the profiles from the rows:
    /// ``TargetRow/projectedProfile()``): each one's size, -1 when it failed, and why.
    private static func render(
        _ compiled: any CompiledMessage, _ rows: [TargetRow], _ kept: [Int], deliveryID: String, firstSequence: Int,
        threads: PreparationThreads
    ) async -> RenderedSizes {
        let parts = await threads.map(kept.count) { range -> ([Int32], [(Int, String)]) in
            var sizes: [Int32] = []
            var failures: [(Int, String)] = []
            sizes.reserveCapacity(range.count)
            // Through the buffer: rows are read in place, not copied out of the array.
            rows.withUnsafeBufferPointer { rows in
                for j in range {
                    let i = kept[j]
                    let profile = rows[i].projectedProfile()
                        ?? Profile(id: rows[i].id, email: rows[i].email, subscription: rows[i].subscription)
                    let identity = MessageIdentity(trackingID: PreparedMessage.trackingID(deliveryID: deliveryID, sequence: firstSequence + j))
                    do throws(PersonalizationError) {
                        sizes.append(Int32(clamping: try compiled.messageSize(profile, identity: identity)))
                    } catch {
                        sizes.append(-1)
                        failures.append((j, error.reason))
                    }
                }
            }
            return (sizes, failures)
        }
        return RenderedSizes(sizes: parts.flatMap(\.0), failures: parts.flatMap(\.1))
    }

    /// ``render(_:_:_:deliveryID:firstSequence:threads:)`` in a task of its own.
    private static func startRendering(
        _ compiled: any CompiledMessage, _ rows: [TargetRow], _ kept: [Int], deliveryID: String, firstSequence: Int,
        threads: PreparationThreads
    ) -> Task<RenderedSizes, Never> {
        Task { await render(compiled, rows, kept, deliveryID: deliveryID, firstSequence: firstSequence, threads: threads) }
    }

    /// Appends the sizes of a batch's messages, whose first is candidate `first`.
    private func collect(_ rendered: RenderedSizes, first: Int) {
        candidates.sizes.append(contentsOf: rendered.sizes)
        for (offset, reason) in rendered.failures { candidates.renderFailures[first + offset] = reason }
    }

    /// FINALIZING: the empty-target check, the PENDING ledger rows (when there is no
    /// error) and the summary entry.
    private func finalize() async throws {
        let start = clock.now
        begin(.finalizing, total: errorCount == 0 ? kpis.toDeliver : 0)
        if kpis.toDeliver == 0 {
            try await log(
                .warning, PreparationLogCode.emptyTarget,
                "The target is empty: \(kpis.targeted) profiles targeted, no message to deliver.", phase: .finalizing
            )
        }
        if errorCount == 0, let written = ledgerWritten {
            progress(processed: written)
            try await phaseDone(.finalizing, since: start, "\(written) messages stored PENDING.")
        } else if errorCount == 0 {
            var batch: [PreparedMessage] = []
            batch.reserveCapacity(batchSize)
            var written = 0
            for i in 0..<candidates.count where candidates.isKept(i) {
                let sequence = i + 1
                written += 1
                batch.append(PreparedMessage(
                    deliveryID: delivery.id, sequence: sequence, profileID: candidates.ids[i], address: candidates.emails[i],
                    trackingID: PreparedMessage.trackingID(deliveryID: delivery.id, sequence: sequence)
                ))
                if batch.count == batchSize {
                    try await store.appendMessages(batch)
                    batch.removeAll(keepingCapacity: true)
                    progress(processed: written)
                    try Task.checkCancellation()
                }
            }
            if !batch.isEmpty { try await store.appendMessages(batch) }
            progress(processed: written)
            try Task.checkCancellation()
            try await phaseDone(.finalizing, since: start, "\(written) messages stored PENDING.")
        }
        try await writeSummary(failed: errorCount > 0)
    }

    /// The last entry: KPIs, errors and warnings.
    func writeSummary(failed: Bool) async throws {
        let counts = kpis.exclusionCounts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        let verdict = failed ? "Preparation failed" : "Preparation succeeded"
        try await log(
            .info, PreparationLogCode.summary,
            "\(verdict) in \(Self.format(clock.now - started)): \(errorCount) errors, \(warningCount) warnings; "
                + "\(kpis.targeted) targeted, \(kpis.toDeliver) to deliver, \(kpis.toExclude) excluded"
                + (counts.isEmpty ? "." : " (\(counts))."),
            phase: phase
        )
    }

    // MARK: Log

    /// Appends one entry to the run (for watchers) and to the store.
    @discardableResult
    func log(
        _ severity: LogSeverity, _ code: String, _ message: String, phase: PreparationPhase?, profileID: String = ""
    ) async throws -> PreparationLogEntry {
        if severity == .error { errorCount += 1 }
        if severity == .warning { warningCount += 1 }
        let entry = job.run.appendLog([(severity, code, message, phase, profileID)])[0]
        try await store.appendLogEntries([entry], deliveryID: delivery.id)
        return entry
    }

    static func format(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return ms < 1000 ? "\(ms) ms" : "\(ms / 1000).\(String(ms % 1000 / 10).leftPadded(2)) s"
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
