import Crypto
import Foundation
import GRDB
import Logging
import Synchronization

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
    /// Recorded with the run (transport settings).
    public var transportSettings: [String: JSONValue] = [:]
    /// How long in-flight calls may take to finish after a stop is requested.
    public var stopGrace: Double = 10

    public init(actor: String) { self.actor = actor }
}

/// What a run did.
public struct RunOutcome: Sendable {
    public var runID: String
    public var resumed: Bool
    public var interrupted: Bool
    public var batch: BatchFileInfo
    /// Temporary passcodes handed to the sink in this process.
    public var passcodesShown: Int

    public init(runID: String, resumed: Bool, interrupted: Bool, batch: BatchFileInfo, passcodesShown: Int) {
        self.runID = runID
        self.resumed = resumed
        self.interrupted = interrupted
        self.batch = batch
        self.passcodesShown = passcodesShown
    }
}

/// Why a run could not start.
public enum RunError: LocalizedError, ClassifiedError, Equatable {
    case passcodesNeedAnOutput(Int)

    public var errorDescription: String? {
        switch self {
        case .passcodesNeedAnOutput(let count):
            "this batch would create \(count) temporary passcode\(count == 1 ? "" : "s") and standard output is not a terminal: "
                + "pass --passcodes-out FILE to receive them (nothing was sent)"
        }
    }

    public var failureKind: FailureKind { .usage }
}

/// Runs a batch: plans it into `dispatches` (or resumes the unfinished run of the same
/// batch), recovers what an interruption left uncertain, then dispatches the queued
/// rows through the transport with bounded concurrency, pacing, retries and a circuit
/// breaker. Every state change is committed, with its audit row, before the side effect
/// it guards.
public final class Runner: Sendable {
    private let database: AppDatabase
    private let transport: any DeviceActionTransport
    private let clock: any EngineClock
    private let options: RunOptions
    private let logger: Logger
    private let rules: RuleSet
    private let stop: StopSignal
    private let progress: RunProgress

    public init(database: AppDatabase, transport: any DeviceActionTransport, clock: any EngineClock,
                options: RunOptions, logger: Logger, rules: RuleSet = .intune2017, stop: StopSignal = StopSignal(),
                progress: RunProgress = RunProgress()) {
        self.progress = progress
        self.database = database
        self.transport = transport
        self.clock = clock
        self.options = options
        self.logger = logger
        self.rules = rules
        self.stop = stop
    }

    /// - Parameters:
    ///   - passcodes: receives each temporary passcode once, before its result is committed.
    ///   - passcodesDurable: makes the passcodes received so far durable (a file's fsync);
    ///     called before their results are committed, once per group commit.
    ///   - canShowPasscodes: false when there is nowhere safe to show a passcode: a batch
    ///     that would create one is then refused before anything is sent.
    public func run(batchPath: String, canShowPasscodes: Bool = true,
                    passcodesDurable: @escaping @Sendable () throws -> Void = {},
                    passcodes: @escaping @Sendable (TemporaryPasscode) throws -> Void) async throws -> RunOutcome {
        let start = try prepare(batchPath: batchPath, canShowPasscodes: canShowPasscodes)
        var logger = self.logger
        logger[metadataKey: "run"] = "\(start.runID)"
        logger.info(start.resumed ? "resuming run" : "run started",
                    metadata: ["batch": "\(start.batch.name)", "queued": "\(start.queued)"])

        progress.start(total: start.queued)
        let ledger = DispatchLedger(database: database, runID: start.runID, passcodesDurable: passcodesDurable)
        let shown = PasscodeCounter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await ledger.run() }
            do {
                try await recover(runID: start.runID, ledger: ledger)
                try await dispatch(runID: start.runID, ledger: ledger, logger: logger) { notice in
                    try passcodes(notice)
                    shown.increment()
                }
            } catch {
                try? await ledger.close()
                throw error
            }
            try await ledger.close()
            try await group.waitForAll()
        }
        let interrupted = try finish(runID: start.runID)
        logger.info(interrupted ? "run interrupted: run the same batch again to resume" : "run finished")
        return RunOutcome(runID: start.runID, resumed: start.resumed, interrupted: interrupted, batch: start.batch,
                          passcodesShown: shown.value)
    }

    // MARK: - Start or resume

    private struct Start {
        var runID: String
        var resumed: Bool
        var batch: BatchFileInfo
        var queued: Int
    }

    private func prepare(batchPath: String, canShowPasscodes: Bool) throws -> Start {
        let now = clock.date()
        let options = self.options
        let rules = self.rules
        return try database.write { db in
            defer { try? Planner.cleanUp(db) }
            let batch = try Planner.load(batchPath: batchPath, in: db)
            var audit = try AuditAppender(db)
            if let runID = try String.fetchOne(db, sql: """
                SELECT id FROM runs WHERE batch_sha256 = ? AND state != 'finished' ORDER BY started_at DESC LIMIT 1
                """, arguments: [batch.sha256]) {
                try db.execute(sql: "UPDATE runs SET state = 'running' WHERE id = ?", arguments: [runID])
                let queued = try Int.fetchOne(db, sql: """
                    SELECT count(*) FROM dispatches WHERE run_id = ? AND state IN ('queued', 'retry_wait', 'sending')
                    """, arguments: [runID]) ?? 0
                try audit.append(AuditEvent(event: "run_resumed", actor: options.actor, runID: runID, outcome: "running",
                                            detail: ["batch": .string(batch.name), "batch_sha256": .string(batch.sha256),
                                                     "remaining": .number(Double(queued))]), at: now)
                return Start(runID: runID, resumed: true, batch: batch, queued: queued)
            }

            let runID = Self.makeRunID(now: now, sha256: batch.sha256)
            let insert = try db.makeStatement(sql: """
                INSERT INTO dispatches (run_id, seq, line, request_id, action, target, device_id, platform, reason, detail,
                    warnings, temporary_passcode, requested_by, justification, ticket, idempotency_key, state, queued_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let queuedAt = ISOTimestamp.formatMillis(now)
            var seq: Int64 = 0
            var passcodesAhead = 0
            // the runs row first: dispatches refer to it
            try db.execute(sql: """
                INSERT INTO runs (id, batch_name, batch_sha256, state, actor, started_at, options, requests, targets)
                VALUES (?, ?, ?, 'running', ?, ?, ?, 0, 0)
                """, arguments: [runID, batch.name, batch.sha256, options.actor, queuedAt, Self.optionsJSON(options)])
            try audit.append(AuditEvent(event: "run_started", actor: options.actor, runID: runID, outcome: "running", detail: [
                "batch": .string(batch.name), "batch_sha256": .string(batch.sha256),
                "options": .string(Self.optionsJSON(options)),
            ]), at: now)
            let summary = try Planner.stream(in: db, rules: rules, now: Int64(now.timeIntervalSince1970)) { item in
                seq += 1
                let key = item.verdict.accepted ? Self.idempotencyKey(item, batchSHA256: batch.sha256) : nil
                if item.verdict.accepted && item.verdict.temporaryPasscode { passcodesAhead += 1 }
                try insert.execute(arguments: [
                    runID, seq, item.line, item.requestID, item.action, item.target, item.deviceID, item.platform,
                    item.verdict.reason?.rawValue, item.verdict.detail,
                    item.verdict.warnings.isEmpty ? nil : item.verdict.warnings.map(\.rawValue).joined(separator: ","),
                    item.verdict.temporaryPasscode, item.requestedBy, item.justification, item.ticket, key,
                    item.verdict.accepted ? "queued" : "rejected", queuedAt,
                ])
                if let reason = item.verdict.reason {
                    try audit.append(AuditEvent(
                        event: "rejected", actor: item.requestedBy ?? options.actor, runID: runID, deviceID: item.deviceID,
                        action: item.action, outcome: "rejected", reason: reason.rawValue,
                        detail: ["line": .number(Double(item.line)), "target": .string(item.target),
                                 "request_id": item.requestID.map(JSONValue.string) ?? .null,
                                 "detail": item.verdict.detail.map(JSONValue.string) ?? .null]), at: now)
                }
            }
            // a request_id that already succeeded on this device in an earlier run is not sent again
            let skipped = try Row.fetchAll(db, sql: """
                UPDATE dispatches SET state = 'skipped', reason = 'already_done', idempotency_key = NULL
                WHERE run_id = ?1 AND state = 'queued' AND request_id IS NOT NULL AND EXISTS (
                    SELECT 1 FROM dispatches e WHERE e.request_id = dispatches.request_id AND e.device_id = dispatches.device_id
                    AND e.state = 'succeeded' AND e.run_id != ?1)
                RETURNING seq, request_id, device_id, action, requested_by, temporary_passcode
                """, arguments: [runID])
            for row in skipped {
                if (row["temporary_passcode"] as Bool? ?? false) { passcodesAhead -= 1 }
                try audit.append(AuditEvent(
                    event: "skipped", actor: row["requested_by"] ?? options.actor, runID: runID, deviceID: row["device_id"],
                    action: row["action"], outcome: "skipped", reason: ReasonCode.alreadyDone.rawValue,
                    detail: ["request_id": .string(row["request_id"])]), at: now)
            }
            if passcodesAhead > 0 && !canShowPasscodes { throw RunError.passcodesNeedAnOutput(passcodesAhead) }
            try db.execute(sql: "UPDATE runs SET requests = ?, targets = ? WHERE id = ?",
                           arguments: [summary.requests, summary.targets, runID])
            try audit.append(AuditEvent(event: "run_planned", actor: options.actor, runID: runID, outcome: "running", detail: [
                "requests": .number(Double(summary.requests)), "targets": .number(Double(summary.targets)),
                "accepted": .number(Double(summary.accepted - skipped.count)), "rejected": .number(Double(summary.rejected)),
                "skipped": .number(Double(skipped.count)),
            ]), at: now)
            return Start(runID: runID, resumed: false, batch: batch, queued: summary.accepted - skipped.count)
        }
    }

    /// `request_id/device_id` when the request has an id (one request may expand to
    /// several devices), else sha256(batch sha256, line, device id).
    static func idempotencyKey(_ item: PlanItem, batchSHA256: String) -> String {
        if let requestID = item.requestID { return "\(requestID)/\(item.deviceID ?? "")" }
        let digest = SHA256.hash(data: Array("\(batchSHA256)\n\(item.line)\n\(item.deviceID ?? "")".utf8))
        return hexString(digest)
    }

    static func makeRunID(now: Date, sha256: String) -> String {
        let stamp = ISOTimestamp.format(epochSeconds: Int64(now.timeIntervalSince1970))
            .replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
            .replacingOccurrences(of: "T", with: "-").replacingOccurrences(of: "Z", with: "")
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "run-\(stamp)-\(sha256.prefix(6))\(random.prefix(4))"
    }

    static func optionsJSON(_ options: RunOptions) -> String {
        var object: [String: JSONValue] = [
            "concurrency": .number(Double(options.concurrency)),
            "rate": options.rate.map { .string($0.description) } ?? .string("off"),
            "max_attempts": .number(Double(options.retry.maxAttempts)),
        ]
        for (key, value) in options.transportSettings { object["transport_\(key)"] = value }
        return JSONValue.object(object).canonicalText
    }

    // MARK: - Recovery

    /// Rows left `sending` by an interruption: a lock goes back to the queue (re-sent
    /// with the same key, which the service honours); a reset is never re-sent blindly:
    /// the transport is asked what became of its key.
    private func recover(runID: String, ledger: DispatchLedger) async throws {
        let uncertain = try fetchJobs(runID: runID, states: ["sending"], after: -1, limit: Int.max)
        for job in uncertain {
            let now = clock.date()
            if job.action == .lock {
                try await ledger.record(.requeued(job, at: now))
                continue
            }
            try await ledger.record(resolveUncertainReset(job, attempt: job.attempts, at: now))
        }
    }

    /// What to record for a reset whose outcome is uncertain, once the transport was asked.
    private func resolveUncertainReset(_ job: DispatchJob, attempt: Int, at now: Date) async -> LedgerEntry {
        let query = ActionQuery(idempotencyKey: job.key, action: job.action, deviceID: job.deviceID, platform: job.platform,
                                firstSentAt: job.firstSentAt, secret: job.temporaryPasscode ? .temporaryPasscode : nil,
                                requestID: UUID().uuidString)
        switch (try? await transport.lookup(query)) ?? .unknown("the service could not be asked") {
        case .received:
            if job.temporaryPasscode {
                return .finished(job, state: .failed, attempt: attempt,
                                 error: "the passcode was reset, but its temporary passcode never reached mdmbatch: "
                                     + "reset it again with a new request_id", channel: nil, effect: nil, at: now)
            }
            return .finished(job, state: .succeeded, attempt: attempt, error: nil, channel: nil,
                             effect: "received", at: now)
        case .notReceived:
            return .requeued(job, at: now)
        case .unknown:
            return .finished(job, state: .unknownOutcome, attempt: attempt,
                             error: "the service cannot tell whether the reset was done; not re-sent automatically",
                             channel: nil, effect: nil, at: now)
        }
    }

    // MARK: - Dispatch

    private func dispatch(runID: String, ledger: DispatchLedger, logger: Logger,
                          passcodes: @escaping @Sendable (TemporaryPasscode) throws -> Void) async throws {
        let feeder = WorkFeeder(runner: self, runID: runID, stop: stop)
        let limiter = options.rate.map { RateLimiter(policy: $0, clock: clock) }
        let breaker = CircuitBreaker(threshold: options.breakerThreshold, cooldown: options.breakerCooldown, clock: clock)
        let random = SharedRandom(seed: options.seed)
        let workers = Task {
            try await self.work(feeder: feeder, ledger: ledger, limiter: limiter, breaker: breaker, random: random,
                                logger: logger, passcodes: passcodes)
        }
        // After a stop request the calls in flight get `stopGrace` seconds (wall time) to
        // answer; then they are abandoned: their rows stay `sending`, settled on resume.
        let stop = self.stop
        let grace = options.stopGrace
        let watchdog = Task {
            await stop.waitUntilRequested()
            try await Task.sleep(for: .milliseconds(Int64(grace * 1000)))
            logger.warning("calls still in flight after the stop grace period: abandoning them (resolved on resume)",
                           metadata: ["grace_s": "\(grace)"])
            workers.cancel()
        }
        defer { watchdog.cancel() }
        do {
            try await workers.value
        } catch is CancellationError where stop.isRequested {
            // abandoned after the grace period: the run ends interrupted
        }
    }

    private func work(feeder: WorkFeeder, ledger: DispatchLedger, limiter: RateLimiter?, breaker: CircuitBreaker,
                      random: SharedRandom, logger: Logger,
                      passcodes: @escaping @Sendable (TemporaryPasscode) throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, options.concurrency) {
                group.addTask {
                    // Each worker claims its next job (committing it `sending`) while the
                    // current call is out, so that the commit is not part of the cycle.
                    var claimed = try await self.claim(from: feeder, ledger: ledger)
                    while let job = claimed {
                        async let following = self.claim(from: feeder, ledger: ledger)
                        try await self.send(job, ledger: ledger, limiter: limiter, breaker: breaker, random: random,
                                            logger: logger, passcodes: passcodes)
                        claimed = try await following
                        if let unsent = claimed, self.stop.isRequested {
                            try await ledger.record(.unsent(unsent, at: self.clock.date()))
                            claimed = nil
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// The next queued job, committed `sending` for its next attempt (its `attempts`
    /// counts that attempt); nil when there is no more work or a stop is requested.
    private func claim(from feeder: WorkFeeder, ledger: DispatchLedger) async throws -> DispatchJob? {
        guard var job = try await feeder.next() else { return nil }
        job.attempts += 1
        try await ledger.record(.sending(job, attempt: job.attempts, at: clock.date()))
        return job
    }

    /// One claimed dispatch, through its retries, to a terminal state (or `retry_wait`
    /// when a stop is requested while it waits).
    private func send(_ claimed: DispatchJob, ledger: DispatchLedger, limiter: RateLimiter?, breaker: CircuitBreaker,
                      random: SharedRandom, logger: Logger,
                      passcodes: @Sendable (TemporaryPasscode) throws -> Void) async throws {
        var job = claimed
        var attempt = job.attempts
        var committed = true  // the first attempt was committed `sending` by `claim`
        while true {
            try await breaker.permit()
            if !committed {
                attempt += 1
                try await ledger.record(.sending(job, attempt: attempt, at: clock.date()))
            }
            committed = false
            // the pace slot is taken last, so that the send follows it at once
            try await limiter?.acquire()
            job.sentAt = clock.date()
            let command = DeviceCommand(idempotencyKey: job.key, action: job.action, deviceID: job.deviceID,
                                        platform: job.platform, management: job.management, attempt: attempt,
                                        attemptID: UUID().uuidString, secret: job.temporaryPasscode ? .temporaryPasscode : nil)
            let failure: TransportError
            do {
                let receipt = try await transport.send(command)
                CrashPoint.afterCall.reached()
                breaker.recordSuccess()
                if let secret = receipt.secret {
                    try passcodes(TemporaryPasscode(deviceID: job.deviceID, requestID: job.requestID, line: job.line, passcode: secret.value))
                }
                let outcome = LedgerEntry.finished(job, state: .succeeded, attempt: attempt, error: nil, channel: receipt.channel,
                                                   effect: receipt.replayed ? "replayed" : receipt.effect, at: clock.date())
                // Not waiting for the commit keeps the worker busy; should it be lost, the row is
                // still `sending` and the resume settles it.
                try await ledger.post(outcome)
                progress.finished(.succeeded)
                return
            } catch let error as TransportError {
                failure = error
            }

            switch failure {
            case .permanent:
                breaker.recordOtherOutcome()
                try await ledger.post(.finished(job, state: .failed, attempt: attempt, error: failure.description,
                                                channel: nil, effect: nil, at: clock.date()))
                progress.finished(.failed)
                return
            case .unknownOutcome where job.action == .resetPasscode:
                breaker.recordTransientFailure()
                let entry = await resolveUncertainReset(job, attempt: attempt, at: clock.date())
                if case .requeued = entry { break }  // never arrived: safe to send again, below
                try await ledger.record(entry)
                if case .finished(_, let state, _, _, _, _, _) = entry { progress.finished(state) }
                return
            case .transient, .unknownOutcome:
                breaker.recordTransientFailure()
            case .signInRefused, .permissionDenied:
                throw failure
            }
            var retryAfter: Double? = nil
            if case .transient(_, let header?, _) = failure { retryAfter = RetryAfter.seconds(header, now: clock.date()) }
            guard let delay = options.retry.delay(afterAttempt: attempt, retryAfter: retryAfter, random: random) else {
                try await ledger.post(.finished(job, state: .failed, attempt: attempt,
                                                error: "gave up after \(attempt) attempts: \(failure)", channel: nil, effect: nil,
                                                at: clock.date()))
                progress.finished(.failed)
                return
            }
            try await ledger.post(.retryWait(job, attempt: attempt, error: failure.description, delay: delay, at: clock.date()))
            logger.debug("retrying", metadata: ["device": "\(job.deviceID)", "attempt": "\(attempt)", "delay_s": "\(delay)"])
            if try await !sleep(seconds: delay) { return }  // stopping: the row stays retry_wait, resumable
        }
    }

    /// Sleeps, waking early when a stop is requested; false when stopping.
    private func sleep(seconds: Double) async throws -> Bool {
        var left = seconds
        while left > 0 {
            if stop.isRequested { return false }
            let step = min(left, 0.25)
            try await clock.sleep(seconds: step)
            left -= step
        }
        return !stop.isRequested
    }

    /// A page of rows in `states` after `seq`, in order.
    func fetchJobs(runID: String, states: [String], after seq: Int64, limit: Int) throws -> [DispatchJob] {
        let actor = options.actor
        return try database.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT d.seq, d.line, d.action, d.device_id, d.platform, d.idempotency_key, d.attempts, d.request_id,
                       d.requested_by, d.temporary_passcode, d.first_sent_at, v.management
                FROM dispatches d LEFT JOIN devices v ON v.device_id = d.device_id
                WHERE d.run_id = ? AND d.seq > ? AND d.state IN (\(states.map { "'\($0)'" }.joined(separator: ", ")))
                ORDER BY d.seq LIMIT ?
                """, arguments: [runID, seq, limit == Int.max ? -1 : limit])
            return rows.compactMap { row -> DispatchJob? in
                guard let action = Action(rawValue: row["action"]), let platform = PlatformID(rawValue: row["platform"] ?? "") else {
                    return nil
                }
                return DispatchJob(
                    seq: row["seq"], line: row["line"], action: action, deviceID: row["device_id"], platform: platform,
                    management: (row["management"] as String?).flatMap(Management.init(rawValue:)),
                    key: row["idempotency_key"], attempts: row["attempts"], requestID: row["request_id"],
                    actor: row["requested_by"] ?? actor, temporaryPasscode: row["temporary_passcode"],
                    firstSentAt: (row["first_sent_at"] as String?).flatMap(ISOTimestamp.epochSeconds)
                        .map { Date(timeIntervalSince1970: Double($0)) })
            }
        }
    }

    // MARK: - Finish

    /// Marks the run finished (or interrupted when work is left) with one audit row of counts.
    private func finish(runID: String) throws -> Bool {
        let now = clock.date()
        let actor = options.actor
        return try database.write { db in
            var counts: [String: JSONValue] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM dispatches WHERE run_id = ? GROUP BY state",
                                        arguments: [runID]) {
                counts[row["state"]] = .number(Double(row["n"] as Int))
            }
            let open = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM dispatches WHERE run_id = ? AND state IN ('planned', 'queued', 'sending', 'retry_wait')
                """, arguments: [runID]) ?? 0
            let state = open > 0 ? "interrupted" : "finished"
            try db.execute(sql: "UPDATE runs SET state = ?, finished_at = ? WHERE id = ?",
                           arguments: [state, open > 0 ? nil : ISOTimestamp.formatMillis(now), runID])
            try AuditLog.append(AuditEvent(event: open > 0 ? "run_interrupted" : "run_finished", actor: actor, runID: runID,
                                           outcome: state, detail: ["by_state": .object(counts)]), at: now, in: db,
                                checkpoint: true)
            return open > 0
        }
    }
}

/// Hands out queued work a page at a time, in order; stops when asked.
private actor WorkFeeder {
    private let runner: Runner
    private let runID: String
    private let stop: StopSignal
    private var buffer: [DispatchJob] = []
    private var index = 0
    private var lastSeq: Int64 = -1
    private var exhausted = false

    init(runner: Runner, runID: String, stop: StopSignal) {
        self.runner = runner
        self.runID = runID
        self.stop = stop
    }

    /// Synchronous inside the actor (no suspension point), so that two workers never
    /// fetch the same page.
    func next() throws -> DispatchJob? {
        if stop.isRequested { return nil }
        if index == buffer.count {
            if exhausted { return nil }
            buffer = try runner.fetchJobs(runID: runID, states: ["queued", "retry_wait"], after: lastSeq, limit: 1024)
            index = 0
            if buffer.isEmpty {
                exhausted = true
                return nil
            }
            lastSeq = buffer.last!.seq
        }
        defer { index += 1 }
        return buffer[index]
    }
}

private final class PasscodeCounter: Sendable {
    private let count = Synchronization.Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
