import ArgumentParser
import Foundation
import Logging
import MDMBatchKit

/// How a batch is dispatched: the engine's and the mock transport's settings, shared by
/// `run` and `run-spool`.
struct DispatchOptions: ParsableArguments {
    @Option(name: .long, help: "Calls in flight at once (1 to 1024).")
    var concurrency = 16

    @Option(name: .long, help: ArgumentHelp("Pace: at most N sends per SECONDS (burst N), or off.", valueName: "N/SECONDS"))
    var rate = "200/20"

    @Option(name: .long, help: "Attempts per request, the first included (1 to 100).")
    var maxAttempts = 5

    @Option(name: .long, help: "Seconds the calls in flight may take to answer after SIGINT/SIGTERM (0 to 600).")
    var stopGrace: Double = 10

    @Option(name: .long, help: "Mock: mean latency of a call, in milliseconds.")
    var mockLatencyMs: Double = 0

    @Option(name: .long, help: "Mock: share of attempts failing transiently (0 to 1).")
    var mockTransientRate: Double = 0

    @Option(name: .long, help: "Mock: share of attempts failing for good (0 to 1).")
    var mockPermanentRate: Double = 0

    @Option(name: .long, help: "Mock: seed of latency, faults and passcodes.")
    var mockSeed: UInt64 = 1

    @Option(name: .long, help: ArgumentHelp("Mock: answer 429 beyond N calls per SECONDS.", valueName: "N/SECONDS"))
    var mockThrottle: String?

    @Option(name: .long, help: ArgumentHelp("Mock: the journal file (default: DB.mock-journal.jsonl).", valueName: "file"))
    var mockJournal: String?

    func validate() throws {
        guard (1...1024).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 1024, not \(concurrency)") }
        guard (1...100).contains(maxAttempts) else { throw ValidationError("--max-attempts must be 1 to 100, not \(maxAttempts)") }
        guard RatePolicy.parse(rate) != nil else { throw ValidationError("--rate must be N/SECONDS (like 200/20) or off, not \(rate)") }
        guard (0...600).contains(stopGrace) else { throw ValidationError("--stop-grace must be 0 to 600 seconds, not \(stopGrace)") }
        if let mockThrottle, (RatePolicy.parse(mockThrottle) ?? nil) == nil {
            throw ValidationError("--mock-throttle must be N/SECONDS (like 200/20), not \(mockThrottle)")
        }
        for (name, value) in [("--mock-transient-rate", mockTransientRate), ("--mock-permanent-rate", mockPermanentRate)] {
            guard (0...1).contains(value) else { throw ValidationError("\(name) must be between 0 and 1, not \(value)") }
        }
        guard mockTransientRate + mockPermanentRate <= 1 else {
            throw ValidationError("--mock-transient-rate and --mock-permanent-rate add up to more than 1")
        }
        guard mockLatencyMs >= 0 && mockLatencyMs <= 60_000 else { throw ValidationError("--mock-latency-ms must be 0 to 60000") }
    }
}

/// One batch run from the command line: the lock is the caller's; this wires the mock
/// transport, signals and progress to the engine and reads the summary back.
struct BatchExecution {
    var options: GlobalOptions
    var dispatch: DispatchOptions
    var database: AppDatabase
    var logger: Logger

    struct Finished {
        var outcome: RunOutcome
        var run: RunRecord
        var summary: RunSummary
        var allWell: Bool { summary.allSucceeded && !outcome.interrupted }
    }

    func run(batch: String, passcodes: PasscodeOutput, stop: StopSignal) async throws -> Finished {
        let clock = SystemClock()
        let journal = dispatch.mockJournal ?? options.databasePath + ".mock-journal.jsonl"
        let throttle = dispatch.mockThrottle.flatMap { RatePolicy.parse($0) ?? nil }
        let transport = try MockTransport(configuration: MockTransportConfiguration(
            latencyMs: dispatch.mockLatencyMs, transientRate: dispatch.mockTransientRate,
            permanentRate: dispatch.mockPermanentRate, seed: dispatch.mockSeed, throttle: throttle, journalPath: journal),
            clock: clock)
        var runOptions = RunOptions(actor: options.osUser)
        runOptions.concurrency = dispatch.concurrency
        runOptions.rate = RatePolicy.parse(dispatch.rate) ?? nil
        runOptions.retry.maxAttempts = dispatch.maxAttempts
        runOptions.stopGrace = dispatch.stopGrace
        runOptions.transportSettings = [
            "kind": .string("mock"), "latency_ms": .number(dispatch.mockLatencyMs),
            "transient_rate": .number(dispatch.mockTransientRate), "permanent_rate": .number(dispatch.mockPermanentRate),
            "seed": .number(Double(dispatch.mockSeed)), "throttle": throttle.map { .string($0.description) } ?? .null,
        ]
        let progress = RunProgress()
        let runner = Runner(database: database, transport: transport, clock: clock, options: runOptions,
                            logger: logger, stop: stop, progress: progress)
        let ticker = ProgressLine.start(progress, enabled: !options.quiet)
        let outcome: RunOutcome
        do {
            outcome = try await runner.run(batchPath: batch, canShowPasscodes: passcodes.canShow,
                                           passcodesDurable: passcodes.makeDurable) { notice in try passcodes.show(notice) }
        } catch {
            await ticker.finish()
            throw error
        }
        await ticker.finish()
        return try finished(outcome: outcome)
    }

    /// A run recorded earlier, read back as if just finished.
    func finished(runID: String) throws -> Finished {
        let run = try database.read { try RunReports.run(runID, $0) }!
        return try finished(outcome: RunOutcome(runID: runID, resumed: false, interrupted: run.state != "finished",
                                                batch: BatchFileInfo(name: run.batchName, sha256: run.batchSHA256, requests: run.requests),
                                                passcodesShown: 0))
    }

    private func finished(outcome: RunOutcome) throws -> Finished {
        let (run, summary) = try database.read { db in
            let run = try RunReports.run(outcome.runID, db)!
            return (run, try RunReports.summary(of: run, db))
        }
        return Finished(outcome: outcome, run: run, summary: summary)
    }

    /// The full report as JSON (or HTML) to `path`.
    func writeReport(_ finished: Finished, to path: String, html: Bool = false) throws {
        try database.read { db in
            try OutputFile.write(path) { write in
                if html {
                    try RunReportHTML.write(run: finished.run, summary: finished.summary, db: db, to: write)
                } else {
                    try RunReportJSON.write(run: finished.run, summary: finished.summary, db: db, to: write)
                }
            }
        }
    }
}

/// The progress of a run on a terminal: one line on stderr, redrawn at most 10 times a
/// second; nothing when stderr is not a terminal.
final class ProgressLine: Sendable {
    private let task: Task<Void, Never>?

    private init(task: Task<Void, Never>?) { self.task = task }

    static func start(_ progress: RunProgress, enabled: Bool) -> ProgressLine {
        guard enabled, isatty(STDERR_FILENO) == 1 else { return ProgressLine(task: nil) }
        let started = Date()
        return ProgressLine(task: Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                let snapshot = progress.snapshot
                guard snapshot.total > 0 else { continue }
                let rate = Double(snapshot.done) / max(0.001, Date().timeIntervalSince(started))
                let line = "\r\u{1B}[K  \(snapshot.done)/\(snapshot.total) done · \(snapshot.failed) failed · \(Int(rate))/s"
                FileHandle.standardError.write(Data(line.utf8))
            }
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        })
    }

    func finish() async {
        task?.cancel()
        await task?.value
    }
}
