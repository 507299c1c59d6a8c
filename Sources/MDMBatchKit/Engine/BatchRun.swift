import Foundation
import Logging

/// `run` and `run-spool` as one entry point: runs a batch through a transport and reads
/// back what the run recorded, for the report. The run lock is the caller's.
public struct BatchRun: Sendable {
    public let database: AppDatabase
    /// The transport of each run's settings (a resumed run keeps its own).
    public let transports: any TransportProvider
    public var options: RunOptions
    public let dependencies: RunDependencies
    public let logger: Logger

    public init(database: AppDatabase, transports: any TransportProvider, options: RunOptions,
                dependencies: RunDependencies, logger: Logger) {
        self.database = database
        self.transports = transports
        self.options = options
        self.dependencies = dependencies
        self.logger = logger
    }

    /// A run as it ended: what the engine did, the run's record and its counts.
    public struct Finished: Sendable {
        public var outcome: RunOutcome
        public var run: RunRecord
        public var summary: RunSummary
        /// Every request succeeded and the run is over.
        public var allWell: Bool { summary.allSucceeded && !outcome.interrupted }
    }

    public func run(batchPath: String, secrets: any SecretSink, stop: StopSignal, progress: RunProgress) async throws -> Finished {
        let runner = Runner(database: database, transports: transports, options: options, dependencies: dependencies,
                            logger: logger, stop: stop, progress: progress)
        let outcome = try await runner.run(batchPath: batchPath, secrets: secrets)
        return try finished(outcome)
    }

    /// A run recorded earlier, read back as if it had just ended.
    public func finished(runID: String) throws -> Finished {
        guard let run = try database.read({ try $0.run(runID) }) else { throw ReportError.noSuchRun(runID) }
        return try finished(RunOutcome(runID: runID, resumed: false, interrupted: run.state != .finished,
                                       batch: BatchFileInfo(name: run.batchName, sha256: run.batchSHA256, requests: run.requests)))
    }

    private func finished(_ outcome: RunOutcome) throws -> Finished {
        try database.read { store in
            guard let run = try store.run(outcome.runID) else { throw ReportError.noSuchRun(outcome.runID) }
            return Finished(outcome: outcome, run: run, summary: try store.summary(of: run))
        }
    }
}

/// How a run ended: the sign-in's own failure when it failed (77 refused, 75 unreachable),
/// 77 when the service refused a permission, 75 when it was interrupted otherwise, 1 when
/// something did not succeed.
extension BatchRun.Finished: CommandResult {
    public var failure: FailureKind? {
        if let cause = failureCause { return FailureKind(of: cause) }
        if outcome.interrupted { return .temporary }
        return allWell ? nil : .completedWithFailures
    }

    public var failureCause: (any Error)? {
        if let failure = outcome.transportFailure { return failure }
        if case .serviceRefused(let error)? = outcome.stopReason { return RunStopped.serviceRefused(outcome.runID, error) }
        return nil
    }
}
