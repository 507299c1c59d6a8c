import Foundation
import Logging

/// Sends the queued rows of a run: `concurrency` workers, each claiming its next row
/// (committed `sending` before the call) while its current call is out. Each send is
/// permit (the circuit breaker) → pace (the adaptive rate limit) → attempt → apply (what
/// `RetryDecision` says of a failure). An element whose answer proved nothing and that must
/// not happen twice waits in `settle_wait`, holding no worker, while settlers ask the
/// service about it; what they find never arrived comes back to the workers.
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

    /// What the workers and settlers share.
    private struct Shared: Sendable {
        let feeder: WorkFeeder
        let pace: RateLimiter?
        let breaker: CircuitBreaker
        let random: SharedRandom
        let settling: SettleQueue
        let settlement: Settlement
    }

    /// Questions asked at once about `settle_wait` elements.
    static let settlers = 4

    /// Runs until the queue is empty and nothing waits to be settled, or a stop is requested;
    /// after a stop request the calls in flight get `stopGrace` seconds (or none after a
    /// second request), then they are abandoned: their rows stay `sending`, settled on resume.
    /// - Parameter settle: elements to ask about first (`settle_wait` rows of an earlier run,
    ///   a reset or a Mac lock left `sending`, `--retry-unknown`'s unknown outcomes).
    func run(settle: [Settlement.Pending] = []) async throws {
        let random = SharedRandom(seed: options.seed)
        let shared = Shared(
            feeder: WorkFeeder(database: database, runID: runID, actor: options.actor, stop: stop),
            pace: options.rate.map { RateLimiter(policy: $0, clock: clock) },
            breaker: CircuitBreaker(threshold: options.breakerThreshold, cooldown: options.breakerCooldown, clock: clock,
                                    logger: logger),
            random: random, settling: SettleQueue(),
            settlement: Settlement(transport: transport, ids: dependencies.ids, secrets: secrets, stop: stop, clock: clock,
                                   settle: transport.showsActionsAtOnce ? 0 : options.settle, retry: options.retry,
                                   random: random))
        await shared.feeder.addSettling(settle.count)
        for pending in settle { await shared.settling.add(pending, at: clock.now()) }
        // the workers, the waker and the watchdog are children of one task group: cancelling
        // the run cancels them all, and none outlives it
        var workersEnded = false
        do {
            try await withThrowingTaskGroup(of: Child.self) { group in
                group.addTask {
                    try await self.sendAndSettle(shared)
                    return .workers
                }
                // a worker or settler waiting for work wakes when the run stops
                group.addTask { [stop] in
                    await stop.waitUntilRequested()
                    await shared.feeder.wake()
                    await shared.settling.close()
                    return .waker
                }
                group.addTask { [stop, options, clock] in
                    .watchdog(graceEnded: await Self.graceEnded(after: stop, grace: options.stopGrace, clock: clock))
                }
                while let child = try await group.next() {
                    switch child {
                    case .workers:
                        // nothing left to send or settle: the waker and the watchdog end
                        workersEnded = true
                        group.cancelAll()
                    case .watchdog(graceEnded: true) where !workersEnded:
                        logger.warning("calls still in flight after the stop grace period: abandoning them (resolved on resume)",
                                       metadata: ["grace_s": "\(options.stopGrace)"])
                        group.cancelAll()
                    case .waker, .watchdog:
                        continue
                    }
                }
            }
        } catch is CancellationError where stop.isRequested {
            // abandoned after the grace period: the run ends interrupted
        }
    }

    /// A child of `run`'s task group.
    private enum Child: Sendable {
        /// The workers and the settlers have ended.
        case workers
        /// The waker has woken those waiting for work (a stop was requested), or was cancelled.
        case waker
        /// The watchdog: the grace period after a stop ended, or it was cancelled first.
        case watchdog(graceEnded: Bool)
    }

    /// The workers, then the settlers' end once the workers have ended.
    private func sendAndSettle(_ shared: Shared) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await withThrowingTaskGroup(of: Void.self) { workers in
                    for _ in 0..<max(1, options.concurrency) {
                        workers.addTask { try await self.work(shared) }
                    }
                    try await workers.waitForAll()
                }
                // the workers end once nothing is left to send or to settle: so do the settlers
                await shared.settling.close()
            }
            for _ in 0..<Self.settlers {
                group.addTask { try await self.settle(shared) }
            }
            try await group.waitForAll()
        }
    }

    /// Once a stop is requested, waits for the grace period (cut short by a second
    /// request): true then, the calls still out are to be abandoned; false when cancelled first.
    private static func graceEnded(after stop: StopSignal, grace: Double, clock: any EngineClock) async -> Bool {
        await stop.waitUntilRequested()
        if Task.isCancelled { return false }
        // whichever comes first: the grace period, or a second signal
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await stop.waitUntilUrgent() }
            group.addTask { try? await clock.sleep(seconds: grace) }
            await group.next()
            group.cancelAll()
        }
        return !Task.isCancelled
    }

    private func work(_ shared: Shared) async throws {
        // Each worker claims its next job (committing it `sending`) while the current call
        // is out, so that the commit is not part of the cycle.
        var claimed = try await claim(from: shared.feeder)
        while let job = claimed {
            async let following = claim(from: shared.feeder)
            let (end, sent) = try await send(job, shared)
            if end == .settling {
                await shared.feeder.toSettle()
                await shared.settling.add(Settlement.Pending(job: sent), at: clock.now())
            } else {
                await shared.feeder.release()
            }
            claimed = try await following
            if let unsent = claimed, stop.isRequested {
                try await ledger.record(.unsent(unsent, note: "claimed for sending but not sent: the run is stopping", at: clock.date()))
                await shared.feeder.release()
                claimed = nil
            }
        }
    }

    /// The next queued job, committed `sending` for its next attempt (its `attempts`
    /// counts that attempt); nil when there is no more work or a stop is requested.
    private func claim(from feeder: WorkFeeder) async throws -> DispatchJob? {
        guard var job = try await feeder.next() else { return nil }
        try await commitSending(&job)
        return job
    }

    private func commitSending(_ job: inout DispatchJob) async throws {
        job.attempts += 1
        job.attemptID = dependencies.ids.uuid()
        try await ledger.record(.sending(job, attempt: job.attempts, at: clock.date()))
    }

    /// How a job left its worker.
    private enum End { case done, settling }
    /// What an answer leads to.
    private enum Next { case end(End), again(after: Double) }

    /// One claimed dispatch, through its retries, to a terminal state, to `settle_wait`, or
    /// to `retry_wait` when a stop is requested while it waits; with the job as it ended
    /// (its last send's time, its attempts).
    private func send(_ claimed: DispatchJob, _ shared: Shared) async throws -> (End, DispatchJob) {
        var job = claimed
        var committed = true  // the first attempt was committed `sending` by `claim`
        var throttledInARow = 0
        while true {
            // permit: stopping before the call, the claim goes back to the queue, its attempt not counted
            guard let probe = try await shared.breaker.permit(unless: { stop.isRequested }) else {
                try await abandonClaim(job, committed: committed)
                return (.done, job)
            }
            if !committed { try await commitSending(&job) }
            committed = false
            // pace: the slot is taken last, so that the send follows it at once
            guard try await pace(shared.pace) else {
                try await abandonClaim(job, committed: true)
                return (.done, job)
            }
            // attempt
            job.sentAt = clock.date()
            if job.firstSentAt == nil { job.firstSentAt = job.sentAt }
            let result: Result<TransportReceipt, TransportError>
            do {
                result = .success(try await transport.send(job.command(attempt: job.attempts)))
            } catch let error as TransportError {
                result = .failure(error)
            }
            // apply
            switch try await apply(result, to: &job, probe: probe, throttledInARow: &throttledInARow, shared) {
            case .end(let end):
                return (end, job)
            case .again(let delay):
                if try await !sleep(seconds: delay) { return (.done, job) }  // stopping: the row stays retry_wait, resumable
            }
        }
    }

    /// Waits for the pace's slot; false when the run stops meanwhile.
    private func pace(_ limiter: RateLimiter?) async throws -> Bool {
        guard let limiter else { return true }
        let slot = await limiter.reserve()
        while clock.now() < slot {
            if stop.isRequested { return false }
            try await clock.sleep(seconds: min(slot - clock.now(), 0.25))
        }
        return true
    }

    /// Records what the answer means, as `RetryDecision` judges it.
    private func apply(_ result: Result<TransportReceipt, TransportError>, to job: inout DispatchJob, probe: Bool,
                       throttledInARow: inout Int, _ shared: Shared) async throws -> Next {
        let failure: TransportError
        switch result {
        case .success(let receipt):
            dependencies.crashPoints.reached(.afterCall)
            shared.breaker.recordSuccess()
            // Not waiting for the commit keeps the worker busy; should it be lost, the row is
            // still `sending` in the database, and the resume settles it.
            try await ledger.post(.finished(job, state: .succeeded, attempt: job.attempts, error: nil, channel: receipt.channel,
                                            effect: receipt.replayed ? "replayed" : receipt.effect,
                                            secret: secrets.notice(for: receipt.secret, of: job), at: clock.date()))
            progress.finished(.succeeded)
            return .end(.done)
        case .failure(let error):
            failure = error
        }
        if RetryDecision.tellsOfOutage(failure) {
            shared.breaker.recordTransientFailure(probe: probe)
        } else {
            shared.breaker.recordOtherOutcome()
        }
        if case .throttled = failure {
            throttledInARow += 1
            await shared.pace?.throttled()
        } else {
            throttledInARow = 0
        }
        // a probe of the breaker tests the service: when its answer proves nothing was done,
        // it does not count against the element (one that may have acted is judged as any send)
        if probe, !stop.isRequested, RetryDecision.probeMayRequeue(failure, action: job.action, platform: job.platform) {
            job.uncountedAttempts += 1
            try await ledger.record(.retryWait(job, attempt: job.attempts, error: "the circuit breaker's probe: \(failure)",
                                               delay: 0, counted: false, failure: failure, at: clock.date()))
            return .again(after: 0)
        }
        let decision = RetryDecision.after(failure, action: job.action, platform: job.platform, attempt: job.countedAttempts,
                                           throttledInARow: max(1, throttledInARow), policy: options.retry,
                                           now: clock.date(), jitter: shared.random.uniform(1))
        switch decision {
        case .stopRun:
            // nothing was done: the element goes back to the queue for the resumed run
            try await ledger.record(.unsent(job, note: "the service refused the sign-in or a permission: not sent",
                                            at: clock.date()))
            logger.error("the service refused: stopping the run", metadata: ["error": "\(failure)"])
            stop.request(.serviceRefused(failure))
            return .end(.done)
        case .fail(let error):
            try await ledger.post(.finished(job, state: .failed, attempt: job.attempts, error: error, channel: nil, effect: nil,
                                            secret: nil, failure: failure, at: clock.date()))
            progress.finished(.failed)
            return .end(.done)
        case .ask:
            try await ledger.record(.settleWait(job, attempt: job.attempts, error: failure.description, note: nil,
                                                at: clock.date()))
            logger.debug("asking the service later", metadata: ["device": "\(job.deviceID)", "error": "\(failure)"])
            return .end(.settling)
        case .retry(let delay):
            try await ledger.post(.retryWait(job, attempt: job.attempts, error: failure.description, delay: delay,
                                             failure: failure, at: clock.date()))
            logger.debug("retrying", metadata: ["device": "\(job.deviceID)", "attempt": "\(job.attempts)", "delay_s": "\(delay)"])
            return .again(after: delay)
        case .throttled(let delay):
            job.uncountedAttempts += 1
            try await ledger.post(.retryWait(job, attempt: job.attempts, error: failure.description, delay: delay, counted: false,
                                             failure: failure, at: clock.date()))
            logger.debug("throttled", metadata: ["device": "\(job.deviceID)", "delay_s": "\(delay)"])
            return .again(after: delay)
        }
    }

    /// A settler: asks about the `settle_wait` element that is due first, records what the
    /// answer settles, hands what never arrived back to the workers; ends when the workers
    /// have ended (nothing left to send or settle), or the run stops.
    private func settle(_ shared: Shared) async throws {
        while !stop.isRequested {
            var pending: Settlement.Pending
            switch await shared.settling.take(now: clock.now()) {
            case .closed:
                return
            case .idle:
                try await shared.settling.waitForChange()
                continue
            case .wait(let until):
                // in short steps: an element due sooner may arrive meanwhile
                try await clock.sleep(seconds: min(0.25, max(0.001, until - clock.now())))
                continue
            case .due(let item):
                pending = item
            }
            switch try await shared.settlement.ask(&pending) {
            case .settled(let entry, let sendAgain):
                // before its row is `retry_wait`: a page read meanwhile must not hand it out as well
                if sendAgain { await shared.feeder.willReturn(pending.job.seq) }
                try await ledger.record(entry)
                if let state = entry.finalState { progress.finished(state) }
                var job = pending.job
                if sendAgain { job.sentAt = nil }
                await shared.feeder.settled(sendAgain: sendAgain ? job : nil)
            case .askAgain(let due, let failedRead):
                if let failedRead {
                    try await ledger.record(.askedInVain(pending.job, error: failedRead, at: clock.date()))
                    pending.job.settleReads += 1
                }
                await shared.settling.add(pending, at: due)
            case .stopped:
                await shared.settling.add(pending, at: .infinity)
                return
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

/// The `settle_wait` elements of a run, each with when it is next asked about. Settlers
/// with nothing to ask about wait here (not on the clock) until an element arrives or the
/// queue is closed.
actor SettleQueue {
    private var items: [(due: Double, pending: Settlement.Pending)] = []
    private var closed = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    enum Take: Sendable {
        case due(Settlement.Pending)
        /// The first element is due at this time of the clock.
        case wait(until: Double)
        /// Nothing to ask about yet.
        case idle
        /// Nothing more will come.
        case closed
    }

    func add(_ pending: Settlement.Pending, at due: Double) {
        items.append((due, pending))
        wake()
    }

    func take(now: Double) -> Take {
        guard let index = items.indices.min(by: { items[$0].due < items[$1].due }) else { return closed ? .closed : .idle }
        guard items[index].due <= now else { return closed ? .closed : .wait(until: items[index].due) }
        return .due(items.remove(at: index).pending)
    }

    /// Returns when an element is added, the queue is closed, or the task is cancelled.
    func waitForChange() async throws {
        try Task.checkCancellation()
        if closed { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { waiters.append($0) }
        } onCancel: {
            Task { await self.wake() }
        }
    }

    /// No more elements will come: the workers have ended, or the run stops.
    func close() {
        closed = true
        wake()
    }

    private func wake() {
        let ready = waiters
        waiters.removeAll()
        for waiter in ready { waiter.resume() }
    }
}

/// Hands out queued work a page at a time, in order, then what settling sends back; stops
/// when asked. A worker asking for work while others still hold some, or while elements are
/// being settled, waits: what they hold may come back to be sent.
actor WorkFeeder {
    private let database: AppDatabase
    private let runID: String
    private let actor: String
    private let stop: StopSignal
    private var buffer: [DispatchJob] = []
    private var index = 0
    private var lastSeq: Int64 = -1
    private var exhausted = false
    /// Sent back by settling: the service never received them.
    private var returned: [DispatchJob] = []
    /// Their rows are `retry_wait` now: a page read later must not hand them out again.
    private var returnedSeqs: Set<Int64> = []
    /// Jobs handed out and not yet released.
    private var outstanding = 0
    /// Elements being settled.
    private var settling = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(database: AppDatabase, runID: String, actor: String, stop: StopSignal) {
        self.database = database
        self.runID = runID
        self.actor = actor
        self.stop = stop
    }

    func next() async throws -> DispatchJob? {
        while true {
            if stop.isRequested { return nil }
            if !returned.isEmpty {
                outstanding += 1
                return returned.removeFirst()
            }
            if let job = try fromPage() {
                outstanding += 1
                return job
            }
            if outstanding == 0 && settling == 0 { return nil }
            // a worker cancelled while it waits (another one failed) wakes and ends
            try Task.checkCancellation()
            await withTaskCancellationHandler {
                await withCheckedContinuation { waiters.append($0) }
            } onCancel: {
                Task { await self.wake() }
            }
        }
    }

    /// The next row of the current page, reading the next page when it is used up.
    /// Synchronous inside the actor (no suspension point), so that two workers never
    /// fetch the same page.
    private func fromPage() throws -> DispatchJob? {
        while true {
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
            let job = buffer[index]
            index += 1
            if returnedSeqs.isEmpty || !returnedSeqs.contains(job.seq) { return job }
        }
    }

    /// A handed-out job is done with (finished, unsent, or left for the resumed run).
    func release() {
        outstanding -= 1
        wake()
    }

    /// A handed-out job waits to be settled.
    func toSettle() {
        outstanding -= 1
        settling += 1
    }

    /// Elements to settle before anything is handed out (a resumed run's).
    func addSettling(_ count: Int) {
        settling += count
    }

    /// A settled element is about to go back to `retry_wait`, to be handed out by `settled`
    /// only: from now on a page read skips it.
    func willReturn(_ seq: Int64) {
        returnedSeqs.insert(seq)
    }

    /// An element is settled; `sendAgain`: the service never received it, send it.
    func settled(sendAgain job: DispatchJob?) {
        settling -= 1
        if let job {
            returned.append(job)
            returnedSeqs.insert(job.seq)
        }
        wake()
    }

    /// Wakes every worker waiting for work (they look again).
    func wake() {
        let ready = waiters
        waiters.removeAll()
        for waiter in ready { waiter.resume() }
    }
}
