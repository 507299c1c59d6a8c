import Foundation
import Logging

/// Sends the queued rows of a run: `concurrency` workers, each claiming its next row
/// (committed `sending` before the call) while its current call is out, paced by a
/// sliding window, held back by the circuit breaker during an outage, retrying as
/// `RetryDecision` says, and asking the service, never re-sending blindly, where an
/// action must not happen twice.
struct WorkerPool: Sendable {
    let runID: String
    let database: AppDatabase
    let transport: any DeviceActionTransport
    let options: RunOptions
    let dependencies: RunDependencies
    let ledger: DispatchLedger
    let secrets: any SecretSink
    let stop: StopSignal
    let progress: RunProgress
    let logger: Logger

    private var clock: any EngineClock { dependencies.clock }

    /// Runs until the queue is empty or a stop is requested; after a stop request the
    /// calls in flight get `stopGrace` seconds (or none after a second request), then they
    /// are abandoned: their rows stay `sending`, settled on resume.
    func run() async throws {
        let feeder = WorkFeeder(database: database, runID: runID, actor: options.actor, stop: stop)
        let limiter = options.rate.map { RateLimiter(policy: $0, clock: clock) }
        let breaker = CircuitBreaker(threshold: options.breakerThreshold, cooldown: options.breakerCooldown, clock: clock,
                                     logger: logger)
        let random = SharedRandom(seed: options.seed)
        let workers = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<max(1, options.concurrency) {
                    group.addTask {
                        try await self.work(feeder: feeder, limiter: limiter, breaker: breaker, random: random)
                    }
                }
                try await group.waitForAll()
            }
        }
        let watchdog = Task { [stop, options, clock, logger] in
            await Self.abandon(workers, after: stop, grace: options.stopGrace, clock: clock, logger: logger)
        }
        defer { watchdog.cancel() }
        do {
            try await workers.value
        } catch is CancellationError where stop.isRequested {
            // abandoned after the grace period: the run ends interrupted
        }
    }

    /// Once a stop is requested, waits for the grace period (cut short by a second
    /// request), then cancels the workers: the calls still out are abandoned.
    private static func abandon(_ workers: Task<Void, any Error>, after stop: StopSignal, grace: Double, clock: any EngineClock,
                                logger: Logger) async {
        await stop.waitUntilRequested()
        if Task.isCancelled { return }
        let urgent = Task { await stop.waitUntilUrgent() }
        let timer = Task { try? await clock.sleep(seconds: grace) }
        // whichever comes first: the grace period, or a second signal
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await urgent.value }
            group.addTask { await timer.value }
            await group.next()
            urgent.cancel()
            timer.cancel()
        }
        if Task.isCancelled { return }
        logger.warning("calls still in flight after the stop grace period: abandoning them (resolved on resume)",
                       metadata: ["grace_s": "\(grace)"])
        workers.cancel()
    }

    private func work(feeder: WorkFeeder, limiter: RateLimiter?, breaker: CircuitBreaker, random: SharedRandom) async throws {
        // Each worker claims its next job (committing it `sending`) while the current call
        // is out, so that the commit is not part of the cycle.
        var claimed = try await claim(from: feeder)
        while let job = claimed {
            async let following = claim(from: feeder)
            try await send(job, limiter: limiter, breaker: breaker, random: random)
            claimed = try await following
            if let unsent = claimed, stop.isRequested {
                try await ledger.record(.unsent(unsent, note: "claimed for sending but not sent: the run is stopping", at: clock.date()))
                claimed = nil
            }
        }
    }

    /// The next queued job, committed `sending` for its next attempt (its `attempts`
    /// counts that attempt); nil when there is no more work or a stop is requested.
    private func claim(from feeder: WorkFeeder) async throws -> DispatchJob? {
        guard var job = try await feeder.next() else { return nil }
        job.attempts += 1
        job.attemptID = dependencies.ids.uuid()
        try await ledger.record(.sending(job, attempt: job.attempts, at: clock.date()))
        return job
    }

    /// One claimed dispatch, through its retries, to a terminal state (or `retry_wait`
    /// when a stop is requested while it waits).
    private func send(_ claimed: DispatchJob, limiter: RateLimiter?, breaker: CircuitBreaker, random: SharedRandom) async throws {
        var job = claimed
        var attempt = job.attempts
        var committed = true  // the first attempt was committed `sending` by `claim`
        while true {
            // stopping before the call: the claim goes back to the queue, its attempt not counted
            guard let probe = try await breaker.permit(unless: { stop.isRequested }) else {
                try await abandonClaim(job, committed: committed)
                return
            }
            if !committed {
                attempt += 1
                job.attemptID = dependencies.ids.uuid()
                try await ledger.record(.sending(job, attempt: attempt, at: clock.date()))
            }
            committed = false
            // the pace slot is taken last, so that the send follows it at once
            if let limiter {
                let slot = await limiter.reserve()
                while clock.now() < slot {
                    if stop.isRequested {
                        try await abandonClaim(job, committed: true)
                        return
                    }
                    try await clock.sleep(seconds: min(slot - clock.now(), 0.25))
                }
            }
            job.sentAt = clock.date()
            if job.firstSentAt == nil { job.firstSentAt = job.sentAt }
            let failure: TransportError
            do {
                let receipt = try await transport.send(job.command(attempt: attempt))
                dependencies.crashPoints.reached(.afterCall)
                breaker.recordSuccess()
                let delivered = try secrets.deliver(receipt.secret, of: job)
                // Not waiting for the commit keeps the worker busy; should it be lost, the row is
                // still `sending` in the database, and the resume settles it.
                try await ledger.post(.finished(job, state: .succeeded, attempt: attempt, error: nil, channel: receipt.channel,
                                                effect: receipt.replayed ? "replayed" : receipt.effect,
                                                secretDelivered: delivered, at: clock.date()))
                progress.finished(.succeeded)
                return
            } catch let error as TransportError {
                failure = error
            }

            switch failure {
            case .transient, .unknownOutcome: breaker.recordTransientFailure(probe: probe)
            case .permanent, .signInRefused, .permissionDenied: breaker.recordOtherOutcome()
            }
            // a probe of the breaker tests the service: its failure does not count against the element
            if probe, case .transient = failure, !stop.isRequested {
                try await ledger.record(.unsent(job, note: "the circuit breaker's probe failed: the attempt is not counted",
                                                at: clock.date()))
                attempt -= 1
                continue
            }
            let decision = RetryDecision.after(failure, action: job.action, platform: job.platform, attempt: attempt,
                                               policy: options.retry, now: clock.date(), jitter: random.uniform(1))
            switch decision {
            case .stopRun:
                // nothing was done: the element goes back to the queue for the resumed run
                try await ledger.record(.unsent(job, note: "the service refused the sign-in or a permission: not sent",
                                                at: clock.date()))
                logger.error("the service refused: stopping the run", metadata: ["error": "\(failure)"])
                stop.request(.serviceRefused(failure))
                return
            case .fail(let error):
                try await ledger.post(.finished(job, state: .failed, attempt: attempt, error: error, channel: nil, effect: nil,
                                                secretDelivered: false, at: clock.date()))
                progress.finished(.failed)
                return
            case .ask:
                let settlement = Settlement(transport: transport, ids: dependencies.ids, secrets: secrets, stop: stop)
                guard let entry = try await settlement.settle(job, attempt: attempt, at: clock.date()) else {
                    return  // the service refused to answer: the row stays `sending`, asked again on resume
                }
                if case .requeued = entry {
                    // never received: safe to send again, as a new attempt
                    guard let delay = options.retry.delay(afterAttempt: attempt, retryAfter: nil, jitter: random.uniform(1)) else {
                        try await ledger.post(.finished(job, state: .failed, attempt: attempt,
                                                        error: "gave up after \(attempt) attempts: \(failure)", channel: nil,
                                                        effect: nil, secretDelivered: false, at: clock.date()))
                        progress.finished(.failed)
                        return
                    }
                    try await ledger.post(.retryWait(job, attempt: attempt, error: failure.description, delay: delay, at: clock.date()))
                    if try await !sleep(seconds: delay) { return }
                    continue
                }
                try await ledger.record(entry)
                if case .finished(_, let state, _, _, _, _, _, _) = entry { progress.finished(state) }
                return
            case .retry(let delay):
                try await ledger.post(.retryWait(job, attempt: attempt, error: failure.description, delay: delay, at: clock.date()))
                logger.debug("retrying", metadata: ["device": "\(job.deviceID)", "attempt": "\(attempt)", "delay_s": "\(delay)"])
                if try await !sleep(seconds: delay) { return }  // stopping: the row stays retry_wait, resumable
            }
        }
    }

    /// A claimed job the run stops before sending: back to the queue (when its `sending`
    /// was committed), the attempt not counted.
    private func abandonClaim(_ job: DispatchJob, committed: Bool) async throws {
        guard committed else { return }  // a retry waiting for its next attempt: the row is still retry_wait
        try await ledger.record(.unsent(job, note: "claimed for sending but not sent: the run is stopping", at: clock.date()))
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
}

/// Hands out queued work a page at a time, in order; stops when asked.
actor WorkFeeder {
    private let database: AppDatabase
    private let runID: String
    private let actor: String
    private let stop: StopSignal
    private var buffer: [DispatchJob] = []
    private var index = 0
    private var lastSeq: Int64 = -1
    private var exhausted = false

    init(database: AppDatabase, runID: String, actor: String, stop: StopSignal) {
        self.database = database
        self.runID = runID
        self.actor = actor
        self.stop = stop
    }

    /// Synchronous inside the actor (no suspension point), so that two workers never
    /// fetch the same page.
    func next() throws -> DispatchJob? {
        if stop.isRequested { return nil }
        if index == buffer.count {
            if exhausted { return nil }
            let (runID, lastSeq, actor) = (self.runID, self.lastSeq, self.actor)
            buffer = try database.read { try $0.jobs(runID: runID, states: [.queued, .retryWait], after: lastSeq, limit: 1024, actor: actor) }
            index = 0
            if buffer.isEmpty {
                exhausted = true
                return nil
            }
            self.lastSeq = buffer.last!.seq
        }
        defer { index += 1 }
        return buffer[index]
    }
}
