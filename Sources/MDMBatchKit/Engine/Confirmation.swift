import Foundation
import Logging

/// Did the devices do it? A 204 means the service accepted an action, not that the device
/// carried it out. Confirmation reads each sent element's action result from the service,
/// records its device state (with an audit row saying who asked and what the service
/// said), and hands the secrets the service made (a temporary passcode, a Mac's unlock
/// PIN) to the secrets file, once. With a wait it asks again, backing off, until every
/// element is final on its device or the time is up.
public struct Confirmation: Sendable {
    public let database: AppDatabase
    public let transport: any DeviceActionTransport
    public let secrets: any SecretSink
    public let dependencies: RunDependencies
    /// Who asks (the audit rows' actor).
    public let actor: String
    public let logger: Logger
    public let stop: StopSignal

    public init(database: AppDatabase, transport: any DeviceActionTransport, secrets: any SecretSink,
                dependencies: RunDependencies, actor: String, logger: Logger, stop: StopSignal = StopSignal()) {
        self.database = database
        self.transport = transport
        self.secrets = secrets
        self.dependencies = dependencies
        self.actor = actor
        self.logger = logger
        self.stop = stop
    }

    /// What a confirmation found.
    public struct Outcome: Sendable, Equatable {
        /// Sent elements, by device state; nil: the service has not said (yet).
        public var byDeviceState: [DeviceActionState?: Int] = [:]
        public var secretsDelivered = 0
        /// Elements whose secret the service no longer holds.
        public var secretsGone = 0
        /// Sent elements in all.
        public var sent: Int { byDeviceState.values.reduce(0, +) }
        /// Every sent element is done on its device.
        public var allDone: Bool { byDeviceState.allSatisfy { $0.key == .done || $0.value == 0 } }
    }

    /// `mdmbatch confirm RUN_ID`: the run's own transport (its recorded settings; Graph's
    /// credentials from `transports`), asked about every sent element.
    public static func confirm(runID: String, database: AppDatabase, transports: any TransportProvider, secrets: any SecretSink,
                               dependencies: RunDependencies, actor: String, logger: Logger, stop: StopSignal,
                               wait: Double) async throws -> Outcome {
        guard let run = try database.read({ try $0.run(runID) }) else { throw ReportError.noSuchRun(runID) }
        // what confirm records is sealed with a checkpoint: a signed database needs the key (78)
        try database.write { try $0.checkSealing(.required) }
        let settings = run.transport
        try transports.check(settings)
        if !secrets.canDeliver, try database.read({ try $0.secretsToCollect(runID: runID) }) > 0 {
            throw RunError.secretsNeedAnOutput(try database.read { try $0.secretsToCollect(runID: runID) })
        }
        let transport = try await transports.make(settings)
        do {
            var logger = logger
            logger[metadataKey: "run"] = "\(runID)"
            let outcome = try await Confirmation(database: database, transport: transport, secrets: secrets,
                                                 dependencies: dependencies, actor: actor, logger: logger, stop: stop)
                .run(runID: runID, wait: wait)
            await transport.shutdown()
            return outcome
        } catch {
            await transport.shutdown()
            throw error
        }
    }

    /// Confirms the sent elements of `runID`, asking again for up to `wait` seconds
    /// (0: once) until each is final.
    public func run(runID: String, wait: Double) async throws -> Outcome {
        let clock = dependencies.clock
        let deadline = clock.now() + max(0, wait)
        var pause = 1.0
        var outcome = Outcome()
        try SecretClaims.resolve(database, clock: clock, logger: logger)
        // what a round leaves open is what the next one asks about: read once per round
        var pending = try database.read { try $0.elementsToConfirm(runID: runID, actor: actor) }
        while !pending.isEmpty {
            try await round(pending, runID: runID, outcome: &outcome)
            pending = try database.read { try $0.elementsToConfirm(runID: runID, actor: actor) }
            if pending.isEmpty || stop.isRequested || clock.now() >= deadline { break }
            logger.info("waiting for devices", metadata: ["run": "\(runID)", "open": "\(pending.count)", "next_in_s": "\(pause)"])
            try await clock.sleep(seconds: min(pause, max(0, deadline - clock.now())))
            pause = min(pause * 2, 15)
        }
        let counts = try database.read { try $0.deviceStateCounts(runID: runID) }
        outcome.byDeviceState = counts
        let now = clock.date()
        try database.write { store in
            try store.appendAudit(.confirmed(runID: runID, actor: actor, outcome: outcome, counts: counts), at: now,
                                  checkpoint: .required)
        }
        return outcome
    }

    /// Asks once about each element; commits what changed in one transaction at the end
    /// of the round, and at once with each secret (claimed, written, marked: `SecretHandOver`).
    private func round(_ jobs: [DispatchJob], runID: String, outcome: inout Outcome) async throws {
        var changes: [ConfirmationChange] = []
        for job in jobs {
            if stop.isRequested { break }
            let query = ActionQuery(idempotencyKey: job.key, action: job.action, deviceID: job.deviceID, platform: job.platform,
                                    firstSentAt: job.firstSentAt, secret: job.secret, requestID: dependencies.ids.uuid())
            let answer: ActionLookup
            do {
                answer = try await transport.lookup(query)
            } catch let error as TransportError where error.stopsRun {
                // commit what was learnt so far
                try await commit(changes, runID: runID)
                throw error
            }
            guard case .received(let report) = answer else {
                switch answer {
                case .unknown(let why):
                    logger.warning("the service could not say", metadata: ["device": "\(job.deviceID)", "why": "\(why)"])
                case .unanswered(let failure):
                    // asked again in the next round
                    logger.warning("the service did not answer", metadata: ["device": "\(job.deviceID)", "error": "\(failure)"])
                case .received, .notReceived: break
                }
                continue
            }
            let notice = secrets.notice(for: report.secret, of: job)
            if notice != nil { outcome.secretsDelivered += 1 }
            let gone = report.secretGone && !job.secretDelivered && notice == nil
            if gone { outcome.secretsGone += 1 }
            // asking twice records nothing twice
            if report.state == job.deviceState && notice == nil && !gone { continue }
            changes.append(ConfirmationChange(job: job, state: report.state, serviceUpdatedAt: report.updatedAt,
                                              secret: notice, secretGone: gone ? Settlement.secretGone(job.secret) : nil))
            // a secret is handed over at once: a stop or a crash later in the round loses nothing
            if notice != nil {
                try await commit(changes, runID: runID)
                changes.removeAll()
            }
        }
        try await commit(changes, runID: runID)
    }

    private func commit(_ changes: [ConfirmationChange], runID: String) async throws {
        guard !changes.isEmpty else { return }
        let now = dependencies.clock.date()
        let notices = changes.compactMap { change in change.secret.map { (seq: change.job.seq, notice: $0) } }
        try await SecretHandOver(secrets: secrets, crashPoints: dependencies.crashPoints).commit(notices, record: { recording in
            try database.write { try $0.recordConfirmations(changes, runID: runID, actor: actor, secrets: recording, at: now) }
        }, mark: { seqs in
            try database.write { try $0.markSecretsDelivered(runID: runID, seqs: seqs, at: now) }
        })
    }
}

/// A confirm succeeds when every sent element is done on its device.
extension Confirmation.Outcome: CommandResult {
    public var failure: FailureKind? { allDone ? nil : .completedWithFailures }
}
