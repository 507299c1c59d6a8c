import Foundation

/// The start of a run: a new run planned into `dispatches` (rejections and skips
/// recorded, the rest queued), or the unfinished run of the same batch resumed.
struct RunStart: Sendable {
    var runID: String
    var resumed: Bool
    var batch: BatchFileInfo
    /// Rows waiting to be sent.
    var queued: Int
    var rules: RuleSet
    /// The transport of the run: recorded at its start; a resumed run keeps its own.
    var transport: TransportSettings
    /// The `--settle` a resumed run recorded (it keeps it unless another is asked for).
    var recordedSettle: Double? = nil
    /// A new run of a batch whose latest earlier run used another service or rule set:
    /// that run (what it did does not count for this one when its service differs).
    var earlierDiffering: RunRecord?

    /// What a new run says of `earlierDiffering`: which service and rules each used.
    var earlierDifferingNotice: String? {
        guard let earlier = earlierDiffering, !resumed else { return nil }
        let service = ServiceIdentity(transport)
        var text = "run \(earlier.id) of this batch sent to \(earlier.service) under \(earlier.ruleSet); this new run sends to "
            + "\(service) under \(rules.name)"
        if earlier.service != service {
            text += ": what that run did does not count here (only runs to the same service do)"
            if earlier.service.kind == .graph && service.kind != .graph { text += "; to continue it, pass --transport graph" }
        }
        return text
    }

    /// - Parameter secretsDeliverable: false when there is nowhere safe for a secret; a
    ///   batch that would make one is then refused before anything is sent.
    static func begin(batchPath: String, database: AppDatabase, options: RunOptions, dependencies: RunDependencies,
                      secretsDeliverable: Bool) throws -> RunStart {
        let now = dependencies.clock.date()
        return try database.write { store in
            // a signed database's run needs the key: refused (78) before anything is planned or sent
            try store.checkSealing(.required)
            let tables = try store.planTables()
            defer { try? tables.drop() }
            let batch = try Planner.load(batchPath: batchPath, into: tables, limits: options.inputLimits)
            // a header and nothing else is most likely a mistake: no run is made of it
            if batch.requests == 0 { throw RunError.emptyBatch(batch.name) }
            if let run = try store.reader.unfinishedRun(batchSHA256: batch.sha256) {
                return try resume(run, batch: batch, store: store, options: options, reopened: false, at: now)
            }
            if options.retryUnknown {
                guard let run = try store.reader.runToRetry(batchSHA256: batch.sha256) else { throw RunError.nothingToRetry(batch.name) }
                return try resume(run, batch: batch, store: store, options: options, reopened: true, at: now)
            }
            return try create(batch: batch, tables: tables, store: store, options: options, dependencies: dependencies,
                              secretsDeliverable: secretsDeliverable, at: now)
        }
    }

    /// Resumes an unfinished run, or reopens a finished one for `--retry-unknown`.
    private static func resume(_ run: RunRecord, batch: BatchFileInfo, store: StoreWriter, options: RunOptions, reopened: Bool,
                               at now: Date) throws -> RunStart {
        guard let rules = RuleSet.named(run.ruleSet) else { throw RunError.unknownRuleSet(run.id, run.ruleSet) }
        if let asked = options.rules, asked.name != rules.name {
            throw RunError.ruleSetDiffers(run.id, recorded: rules.name, asked: asked.name)
        }
        // a Graph flag is refused unless the resumed run recorded Graph
        let transport = try options.transport.settings(resuming: run.transport, runID: run.id)
        try store.setRunState(runID: run.id, .running, finishedAt: nil)
        let counts = try store.reader.dispatchCounts(runID: run.id)
        let waiting: [DispatchState] = options.retryUnknown ? [.queued, .retryWait, .sending, .settleWait, .unknownOutcome]
                                                            : [.queued, .retryWait, .sending, .settleWait]
        let queued = waiting.reduce(0) { $0 + (counts[$1] ?? 0) }
        try store.appendAudit(.runResumed(runID: run.id, actor: options.actor, reopened: reopened, batch: batch, remaining: queued,
                                          transport: transport.kind), at: now)
        return RunStart(runID: run.id, resumed: true, batch: batch, queued: queued, rules: rules, transport: transport,
                        recordedSettle: run.settle)
    }

    private static func create(batch: BatchFileInfo, tables: PlanTables, store: StoreWriter, options: RunOptions,
                               dependencies: RunDependencies, secretsDeliverable: Bool, at now: Date) throws -> RunStart {
        let runID = makeRunID(now: now, sha256: batch.sha256, suffix: dependencies.ids.runSuffix())
        let rules = options.rules ?? .default
        let actor = options.actor
        let transport = options.transport.settings(databasePath: store.databasePath)
        try options.transport.checkGraphFlags(transport)
        let service = ServiceIdentity(transport)
        let earlier = try store.reader.latestRun(batchSHA256: batch.sha256)
        let recorded = options.recordedJSON(transport: transport)
        // the runs row first: dispatches refer to it
        try store.insertRun(NewRun(id: runID, batch: batch, actor: actor, startedAt: now, options: recorded, ruleSet: rules.name,
                                   service: service))
        var audit = try store.auditAppender()
        try audit.append(.runStarted(runID: runID, actor: actor, batch: batch, options: recorded, rules: rules, service: service),
                         at: now)
        let inserter = try store.dispatchInserter(runID: runID, queuedAt: now)
        var secretsAhead = 0
        // only earlier runs to the same service count (already_done, unknown_earlier, unlock_pin_outstanding)
        let summary = try Planner.stream(tables, batch: batch, rules: rules, service: service, currentRun: runID,
                                         now: Int64(now.timeIntervalSince1970)) { item in
            let state: DispatchState = item.skip != nil ? .skipped : item.verdict.accepted ? .queued : .rejected
            var key: String?
            if state == .queued, let action = item.action, let device = item.deviceID {
                key = IdempotencyKey.make(requestID: item.requestID, batchSHA256: batch.sha256, line: item.line,
                                          action: action, deviceID: device)
            }
            if item.secret != nil { secretsAhead += 1 }
            try inserter.insert(NewDispatch(item: item, state: state, reason: item.reason, idempotencyKey: key))
            if state != .queued, let reason = item.reason {
                try audit.append(.notSent(item, state: state, reason: reason, runID: runID, actor: actor), at: now)
            }
        }
        // secrets that come with the answers (the mock) or from `--confirm` need somewhere to go now
        let secretsNow = transport.secretsComeWithAnswers || options.confirmWait != nil
        if secretsAhead > 0 && secretsNow && !secretsDeliverable { throw RunError.secretsNeedAnOutput(secretsAhead) }
        try store.setRunCounts(runID: runID, requests: summary.requests, targets: summary.targets)
        try audit.append(.runPlanned(runID: runID, actor: actor, summary: summary), at: now)
        let differing = earlier.flatMap { $0.service != service || $0.ruleSet != rules.name ? $0 : nil }
        return RunStart(runID: runID, resumed: false, batch: batch, queued: summary.accepted, rules: rules, transport: transport,
                        earlierDiffering: differing)
    }

    /// `run-YYYYMMDD-HHMMSS-<6 hex of the batch sha256><4 random hex>`.
    static func makeRunID(now: Date, sha256: String, suffix: String) -> String {
        let stamp = ISOTimestamp.format(epochSeconds: Int64(now.timeIntervalSince1970))
            .replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
            .replacingOccurrences(of: "T", with: "-").replacingOccurrences(of: "Z", with: "")
        return "run-\(stamp)-\(sha256.prefix(6))\(suffix.prefix(4))"
    }
}

/// Why a run could not start.
public enum RunError: LocalizedError, ClassifiedError, Equatable {
    case secretsNeedAnOutput(Int)
    case unknownRuleSet(String, String)
    /// A resumed run keeps the rule set it started with.
    case ruleSetDiffers(String, recorded: String, asked: String)
    /// `--retry-unknown` on a batch that was never run.
    case nothingToRetry(String)
    /// A batch without a request (a header only): nothing to run, and no run is made.
    case emptyBatch(String)

    public var errorDescription: String? {
        switch self {
        case .secretsNeedAnOutput(let count):
            "this batch would make \(count) secret\(count == 1 ? "" : "s") (temporary passcodes or unlock PINs) and standard "
                + "output is not a terminal: pass --passcodes-out FILE to receive them (nothing was sent)"
        case .unknownRuleSet(let run, let name):
            "run \(run) was planned under rule set \(name), which this mdmbatch does not know"
        case .ruleSetDiffers(let run, let recorded, let asked):
            "run \(run) of this batch was started under --rules \(recorded): it resumes under it, not \(asked) "
                + "(leave --rules out, or pass \(recorded))"
        case .nothingToRetry(let batch):
            "\(batch) was never run in this database: --retry-unknown reopens an earlier run of the same batch"
        case .emptyBatch(let batch):
            "\(batch) holds no request (a header only?): nothing to run"
        }
    }

    public var failureKind: FailureKind {
        switch self {
        case .secretsNeedAnOutput, .ruleSetDiffers, .nothingToRetry: .usage
        // not a failure: the command says so and ends well
        case .emptyBatch: .usage
        case .unknownRuleSet: .dataError
        }
    }
}
