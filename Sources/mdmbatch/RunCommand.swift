import ArgumentParser
import Dispatch
import Foundation
import Logging
import MDMBatchKit

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Send a batch: plan it, then dispatch the accepted requests through the transport.",
        discussion: """
            Running a batch whose sha256 matches an unfinished run resumes that run: finished requests are not sent
            again, and a request_id that succeeded in any earlier run is skipped (already_done).
            Transport: the built-in mock of the device-management service (--mock-* options); its journal of every send
            and effect goes to --mock-journal (default: next to the database).
            Temporary passcodes (Android < 7.0, Windows Phone, Windows 10 Mobile) are shown once: on the terminal, or in
            --passcodes-out FILE (created 0600). They are never stored.
            Exit status: 0 every request succeeded; 1 some were rejected, failed or ended unknown; 75 interrupted
            (run it again to resume).
            """
    )

    @Argument(help: ArgumentHelp("The batch file, or - for standard input.", valueName: "batch"))
    var batch: String

    @Option(name: .long, help: "Calls in flight at once (1 to 1024).")
    var concurrency = 16

    @Option(name: .long, help: ArgumentHelp("Pace: at most N sends per SECONDS (burst N), or off.", valueName: "N/SECONDS"))
    var rate = "200/20"

    @Option(name: .long, help: "Attempts per request, the first included (1 to 100).")
    var maxAttempts = 5

    @Option(name: .long, help: ArgumentHelp("Also write the full report as JSON to this file.", valueName: "file.json"))
    var report: String?

    @Option(name: .long, help: ArgumentHelp("Write temporary passcodes to this new file (0600) instead of the terminal.", valueName: "file"))
    var passcodesOut: String?

    @Flag(name: .long, help: "Print the full report as JSON instead of the text summary.")
    var json = false

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

    @OptionGroup var options: GlobalOptions

    func validate() throws {
        guard (1...1024).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 1024, not \(concurrency)") }
        guard (1...100).contains(maxAttempts) else { throw ValidationError("--max-attempts must be 1 to 100, not \(maxAttempts)") }
        guard RatePolicy.parse(rate) != nil else { throw ValidationError("--rate must be N/SECONDS (like 200/20) or off, not \(rate)") }
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

    func run() async throws {
        try await ExitStatus.guardingAsync {
            let database = try options.openDatabase()
            let logger = options.makeLogger()
            let passcodes = try PasscodeOutput(path: passcodesOut)
            let clock = SystemClock()
            let journal = mockJournal ?? options.databasePath + ".mock-journal.jsonl"
            let throttle = mockThrottle.flatMap { RatePolicy.parse($0) ?? nil }
            let transport = try MockTransport(configuration: MockTransportConfiguration(
                latencyMs: mockLatencyMs, transientRate: mockTransientRate, permanentRate: mockPermanentRate,
                seed: mockSeed, throttle: throttle, journalPath: journal), clock: clock)
            var runOptions = RunOptions(actor: options.osUser)
            runOptions.concurrency = concurrency
            runOptions.rate = RatePolicy.parse(rate) ?? nil
            runOptions.retry.maxAttempts = maxAttempts
            runOptions.transportSettings = [
                "kind": .string("mock"), "latency_ms": .number(mockLatencyMs), "transient_rate": .number(mockTransientRate),
                "permanent_rate": .number(mockPermanentRate), "seed": .number(Double(mockSeed)),
                "throttle": throttle.map { .string($0.description) } ?? .null,
            ]
            let stop = StopSignal()
            let signals = SignalWatch(stop: stop, logger: logger)
            defer { signals.cancel() }
            let runner = Runner(database: database, transport: transport, clock: clock, options: runOptions,
                                logger: logger, stop: stop)
            let outcome = try await runner.run(batchPath: batch, canShowPasscodes: passcodes.canShow,
                                               passcodesDurable: passcodes.makeDurable) { notice in
                try passcodes.show(notice)
            }
            let (run, summary) = try database.read { db in
                let run = try RunReports.run(outcome.runID, db)!
                return (run, try RunReports.summary(of: run, db))
            }
            if let report {
                try database.read { db in
                    try OutputFile.write(report) { write in try RunReportJSON.write(run: run, summary: summary, db: db, to: write) }
                }
            }
            let allWell = summary.allSucceeded && !outcome.interrupted
            if json {
                try database.read { db in
                    try OutputFile.write("-") { write in try RunReportJSON.write(run: run, summary: summary, db: db, to: write) }
                }
            } else if !(options.quiet && allWell) {
                print(RunReportText.summary(run, summary))
                if outcome.interrupted { print("  interrupted: run the same batch again to resume") }
            }
            if outcome.interrupted { throw ExitCode(75) }
            if !allWell { throw ExitCode(1) }
        }
    }
}

/// SIGINT and SIGTERM ask the run to stop taking new work; in-flight calls finish.
final class SignalWatch {
    private let sources: [DispatchSourceSignal]

    init(stop: StopSignal, logger: Logger) {
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                logger.warning("signal received: stopping after the calls in flight", metadata: ["signal": "\(number)"])
                stop.request()
            }
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
