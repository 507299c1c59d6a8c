import Foundation
import Logging

/// How a run dispatches.
public struct RunOptions: Sendable {
    public var concurrency = 16
    /// nil: no pacing (`--rate off`).
    public var rate: RatePolicy? = .intuneDefault
    public var retry = RetryPolicy()
    public var breakerThreshold = 5
    public var breakerCooldown = 5.0
    /// Who runs it, when a request names no `requested_by`.
    public var actor: String
    /// Seed of the backoff jitter.
    public var seed: UInt64 = 0x6D646D62
    /// How long in-flight calls may take to finish after a stop is requested.
    public var stopGrace: Double = 10
    /// A run that lasts longer stops taking work and ends `interrupted` (resumable); nil: no limit.
    public var maxRunTime: Double?
    /// The rule set asked for: a new run is planned under it (the default when nil); a
    /// resumed run keeps the set it started with, and an explicit different one is refused.
    public var rules: RuleSet?
    /// How large a field of the batch file may be.
    public var inputLimits: InputLimits = .standard
    /// The transport asked for (a resumed run keeps its own where this says nothing).
    public var transport = TransportRequest()
    /// After sending, confirm the device states for up to this many seconds (`run --confirm`).
    public var confirmWait: Double?
    /// Reopen the latest run of the batch and ask the service about each element that
    /// ended with an unknown outcome: received → succeeded, never received → sent.
    public var retryUnknown = false
    /// Seconds after an element's last send whose answer proved nothing before "not found"
    /// proves it never arrived (`--settle`); nil: the run's recorded value, else 2 minutes.
    public var settleAskedFor: Double?
    public static let defaultSettle: Double = 120

    /// The settle time in force (`RunStart` sets it from the run's record when resuming).
    public var settle: Double { settleAskedFor ?? Self.defaultSettle }

    public init(actor: String) { self.actor = actor }

    /// The options as recorded with the run.
    func recordedJSON(transport: TransportSettings) -> String {
        JSONValue.object([
            "concurrency": .number(Double(concurrency)),
            "rate": rate.map { .string($0.description) } ?? .string("off"),
            "max_attempts": .number(Double(retry.maxAttempts)),
            "settle_s": .number(settle),
            "transport": transport.json,
        ]).canonicalText
    }
}

/// What a run did.
public struct RunOutcome: Sendable {
    public var runID: String
    public var resumed: Bool
    public var interrupted: Bool
    /// Why it stopped early, if it did.
    public var stopReason: StopReason?
    public var batch: BatchFileInfo
    /// The transport it used.
    public var transport: TransportSettings
    /// Secrets the batch makes that the run did not deliver: over Graph they come from
    /// the service later (`confirm RUN_ID --passcodes-out FILE`).
    public var secretsToCollect = 0
    /// What `--confirm` found, when asked.
    public var confirmation: Confirmation.Outcome?
    /// Why the transport could not be made (the sign-in refused, the service unreachable):
    /// nothing was sent and the run is interrupted. The command shows the summary, then this.
    public var transportFailure: (any Error)?

    public init(runID: String, resumed: Bool, interrupted: Bool, stopReason: StopReason? = nil, batch: BatchFileInfo,
                transport: TransportSettings = TransportSettings()) {
        self.runID = runID
        self.resumed = resumed
        self.interrupted = interrupted
        self.stopReason = stopReason
        self.batch = batch
        self.transport = transport
    }
}

/// Runs a batch: plans it into `dispatches` (or resumes the unfinished run of the same
/// batch), settles what an interruption left uncertain, then sends the queued rows
/// through the worker pool. Every state change is committed, with its audit row, before
/// the side effect it guards.
public final class Runner: Sendable {
    private let database: AppDatabase
    private let transports: any TransportProvider
    private let options: RunOptions
    private let dependencies: RunDependencies
    private let logger: Logger
    private let stop: StopSignal
    private let progress: RunProgress

    public init(database: AppDatabase, transports: any TransportProvider, options: RunOptions,
                dependencies: RunDependencies = RunDependencies(), logger: Logger, stop: StopSignal = StopSignal(),
                progress: RunProgress = RunProgress()) {
        self.database = database
        self.transports = transports
        self.options = options
        self.dependencies = dependencies
        self.logger = logger
        self.stop = stop
        self.progress = progress
    }

    /// - Parameter secrets: where secrets go, each before its delivery is committed; a
    ///   batch that would make one and has nowhere to put it is refused before anything is sent.
    public func run(batchPath: String, secrets: any SecretSink) async throws -> RunOutcome {
        // a transport asked for explicitly is checked before anything is written
        if options.transport.kind != nil { try transports.check(options.transport.settings(databasePath: database.path)) }
        let start = try RunStart.begin(batchPath: batchPath, database: database, options: options, dependencies: dependencies,
                                       secretsDeliverable: secrets.canDeliver)
        var logger = self.logger
        logger[metadataKey: "run"] = "\(start.runID)"
        try SecretClaims.resolve(database, clock: dependencies.clock, logger: logger)
        logger.info(start.resumed ? "resuming run" : "run started",
                    metadata: ["batch": "\(start.batch.name)", "queued": "\(start.queued)", "rules": "\(start.rules.name)",
                               "transport": "\(start.transport.kind.rawValue)"])
        // a batch sent to Graph and then run without --transport graph goes to the mock: never silently
        if let notice = start.earlierDifferingNotice { logger.warning("\(notice)") }
        let deadline = options.maxRunTime.map { dependencies.clock.now() + $0 }
        func ended(stopReason: StopReason?) throws -> RunOutcome {
            let interrupted = try finish(runID: start.runID)
            return RunOutcome(runID: start.runID, resumed: start.resumed, interrupted: interrupted,
                              stopReason: interrupted ? stopReason : nil, batch: start.batch, transport: start.transport)
        }
        // every element rejected or skipped: nothing to send, so no transport and no sign-in
        if start.queued == 0 && options.confirmWait == nil { return try ended(stopReason: nil) }
        let transport: any DeviceActionTransport
        do {
            // the sign-in ends with a stop or --max-run-time, like the sending does
            transport = try await untilStopped(deadline: deadline, logger: logger) { [transports] in
                try await transports.make(start.transport)
            }
        } catch {
            // nothing was sent: the run waits, interrupted, until the sign-in works; its
            // summary is shown before the error ends the command
            var outcome = try ended(stopReason: stop.reason)
            if !stop.isRequested { outcome.transportFailure = error }
            return outcome
        }
        if stop.isRequested {
            await transport.shutdown()
            return try ended(stopReason: stop.reason)
        }
        do {
            var outcome = try await run(start, transport: transport, secrets: secrets, deadline: deadline, logger: logger)
            if let wait = options.confirmWait, !outcome.interrupted {
                outcome.confirmation = try await Confirmation(
                    database: database, transport: transport, secrets: secrets, dependencies: dependencies, actor: options.actor,
                    logger: logger, stop: stop).run(runID: start.runID, wait: wait)
            }
            await transport.shutdown()
            return outcome
        } catch {
            await transport.shutdown()
            throw error
        }
    }

    /// Makes the transport (signs in) until that ends, or until a stop is requested or
    /// `deadline` (clock time) passes: then it is cancelled, and its error or value returned
    /// as it ends.
    private func untilStopped(deadline: Double?, logger: Logger,
                              _ make: @escaping @Sendable () async throws -> any DeviceActionTransport)
        async throws -> any DeviceActionTransport {
        let stop = self.stop, clock = dependencies.clock
        // nil: a stop was requested
        return try await withThrowingTaskGroup(of: (any DeviceActionTransport)?.self) { group in
            group.addTask { try await make() }
            group.addTask {
                await stop.waitUntilRequested()
                return nil
            }
            if let deadline {
                group.addTask {
                    // cancelled once the transport is made: nothing to stop then
                    if (try? await clock.sleep(until: deadline)) != nil { Self.outlived(stop, logger: logger) }
                    return nil
                }
            }
            while let made = try await group.next() {
                group.cancelAll()
                if let made { return made }
            }
            throw CancellationError()
        }
    }

    private static func outlived(_ stop: StopSignal, logger: Logger) {
        logger.warning("the run outlived --max-run-time: stopping it (run it again to resume)")
        stop.request(.maxRunTime)
    }

    private func run(_ start: RunStart, transport: any DeviceActionTransport, secrets: any SecretSink, deadline: Double?,
                     logger: Logger) async throws -> RunOutcome {
        progress.start(total: start.queued)
        let ledger = DispatchLedger(database: database, runID: start.runID, secrets: secrets, dependencies: dependencies)
        let stop = self.stop
        var options = self.options
        if options.settleAskedFor == nil { options.settleAskedFor = start.recordedSettle }
        let pool = WorkerPool(runID: start.runID, database: database, transport: transport, options: options,
                              dependencies: dependencies, ledger: ledger, secrets: secrets, stop: stop, progress: progress,
                              logger: logger)
        try await untilSent(deadline: deadline, logger: logger) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await ledger.run() }
                do {
                    let settle = try await recover(runID: start.runID, ledger: ledger)
                    if !stop.isRequested { try await pool.run(settle: settle) }
                } catch {
                    try? await ledger.close()
                    throw error
                }
                try await ledger.close()
                try await group.waitForAll()
            }
        }
        let interrupted = try finish(runID: start.runID)
        logger.info(interrupted ? "run interrupted: run the same batch again to resume" : "run finished")
        var outcome = RunOutcome(runID: start.runID, resumed: start.resumed, interrupted: interrupted,
                                 stopReason: interrupted ? stop.reason : nil, batch: start.batch, transport: start.transport)
        outcome.secretsToCollect = try database.read { try $0.secretsToCollect(runID: start.runID) }
        return outcome
    }

    /// Runs `send` with `--max-run-time`'s timer beside it: a child task that requests the
    /// stop at `deadline` (clock time), cancelled as soon as `send` ends.
    private func untilSent(deadline: Double?, logger: Logger, _ send: () async throws -> Void) async throws {
        guard let deadline else { return try await send() }
        let stop = self.stop, clock = dependencies.clock
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                if (try? await clock.sleep(until: deadline)) != nil { Self.outlived(stop, logger: logger) }
            }
            defer { group.cancelAll() }
            try await send()
        }
    }

    /// What an interruption left open: a lock found `sending` goes back to the queue (the
    /// mock honours its key; Graph may lock a second time, which is harmless); a reset, or a
    /// Mac's lock, is never re-sent blindly: it waits in `settle_wait` to be asked about, as
    /// do the `settle_wait` rows themselves and, with `--retry-unknown`, each element that
    /// ended with an unknown outcome. Returns what the workers' settlers ask about first.
    private func recover(runID: String, ledger: DispatchLedger) async throws -> [Settlement.Pending] {
        let actor = options.actor
        func rows(_ state: DispatchState) throws -> [DispatchJob] {
            try database.read { try $0.jobs(runID: runID, states: [state], after: -1, limit: Int.max, actor: actor) }
        }
        var settle = try rows(.settleWait).map { Settlement.Pending(job: $0) }
        for job in try rows(.sending) {
            let now = dependencies.clock.date()
            if !RetryDecision.mustNotRepeat(job.action, on: job.platform) {
                try await ledger.record(.requeued(job, note: "found sending after an interruption: sent again", at: now))
                continue
            }
            try await ledger.record(.settleWait(job, attempt: job.attempts, error: nil,
                                                note: "found sending after an interruption: asking the service, never sending it blindly",
                                                at: now))
            settle.append(Settlement.Pending(job: job))
        }
        if options.retryUnknown {
            for job in try rows(.unknownOutcome) {
                try await ledger.record(.settleWait(job, attempt: job.attempts, error: nil,
                                                    note: "--retry-unknown: asking the service again", at: dependencies.clock.date()))
                settle.append(Settlement.Pending(job: job, fromUnknown: true))
            }
        }
        return settle
    }

    /// Marks the run finished (or interrupted when work is left) with one audit row of counts.
    private func finish(runID: String) throws -> Bool {
        let now = dependencies.clock.date()
        let actor = options.actor
        return try database.write { store in
            let counts = try store.reader.dispatchCounts(runID: runID)
            let open = DispatchState.open.reduce(0) { $0 + (counts[$1] ?? 0) }
            let state: RunState = open > 0 ? .interrupted : .finished
            try store.setRunState(runID: runID, state, finishedAt: open > 0 ? nil : now)
            try store.appendAudit(.runEnded(runID: runID, actor: actor, state: state, counts: counts), at: now, checkpoint: .required)
            return open > 0
        }
    }
}

/// A run that the service stopped: nothing more could be sent.
public enum RunStopped: LocalizedError, ClassifiedError, Equatable {
    case serviceRefused(String, TransportError)

    public var errorDescription: String? {
        switch self {
        case .serviceRefused(let runID, let error):
            "\(error); run \(runID) is interrupted: run the same batch again once this is fixed"
        }
    }

    public var failureKind: FailureKind { .noPermission }
}
