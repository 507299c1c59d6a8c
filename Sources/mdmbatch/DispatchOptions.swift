import ArgumentParser
import Foundation
import Logging
import MDMBatchKit

/// How a batch is dispatched: the engine's and the mock service's settings, shared by
/// `run` and `run-spool`.
struct DispatchOptions: ParsableArguments {
    @OptionGroup var rulesOption: RuleSetOption

    @OptionGroup var input: InputLimitOptions

    @Option(name: .long, parsing: .unconditional, help: "Calls in flight at once (1 to 1024).")
    var concurrency = 16

    @Option(name: .long, help: ArgumentHelp("Pace: at most N sends in any SECONDS-long window, or off. "
                                            + "The default is Intune's write limit per app.", valueName: "N/SECONDS"))
    var rate = Pace(.intuneDefault)

    @Option(name: .long, parsing: .unconditional, help: "Attempts per request, the first included (1 to 100).")
    var maxAttempts = 5

    @Option(name: .long, parsing: .unconditional, help: "Seconds the calls in flight may take to answer after SIGINT/SIGTERM (0 to 600).")
    var stopGrace: Double = 10

    @Option(name: .long, help: ArgumentHelp("End a run that lasts longer as interrupted (exit 75, resumable): 90s, 30m, 2h.",
                                            valueName: "duration"))
    var maxRunTime: Span?

    @Option(name: .long, parsing: .unconditional, help: "Mock: mean latency of a call, in milliseconds (0 to 60000).")
    var mockLatencyMs: Double = 0

    @Option(name: .long, parsing: .unconditional, help: "Mock: share of attempts failing transiently (0 to 1).")
    var mockTransientRate: Double = 0

    @Option(name: .long, parsing: .unconditional, help: "Mock: share of attempts failing for good (0 to 1).")
    var mockPermanentRate: Double = 0

    @Option(name: .long, help: "Mock: seed of latency and faults (secrets come from the system's secure random generator).")
    var mockSeed: UInt64 = 1

    @Option(name: .long, help: ArgumentHelp("Mock: answer 429 beyond N calls in any SECONDS-long window.", valueName: "N/SECONDS"))
    var mockThrottle: Pace?

    @Option(name: .long, help: ArgumentHelp("Mock: the journal file (default: DB.mock-journal.jsonl).", valueName: "file"))
    var mockJournal: String?

    func validate() throws {
        guard (1...1024).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 1024, not \(concurrency)") }
        guard (1...100).contains(maxAttempts) else { throw ValidationError("--max-attempts must be 1 to 100, not \(maxAttempts)") }
        guard (0...600).contains(stopGrace) else { throw ValidationError("--stop-grace must be 0 to 600 seconds, not \(stopGrace)") }
        if let mockThrottle, mockThrottle.policy == nil { throw ValidationError("--mock-throttle must be N/SECONDS (like 200/20), not off") }
        for (name, value) in [("--mock-transient-rate", mockTransientRate), ("--mock-permanent-rate", mockPermanentRate)] {
            guard (0...1).contains(value) else { throw ValidationError("\(name) must be between 0 and 1, not \(value)") }
        }
        guard mockTransientRate + mockPermanentRate <= 1 else {
            throw ValidationError("--mock-transient-rate and --mock-permanent-rate add up to more than 1")
        }
        guard (0...60_000).contains(mockLatencyMs) else { throw ValidationError("--mock-latency-ms must be 0 to 60000, not \(mockLatencyMs)") }
    }

    /// The engine's options.
    func runOptions(actor: String) -> RunOptions {
        var options = RunOptions(actor: actor)
        options.concurrency = concurrency
        options.rate = rate.policy
        options.retry.maxAttempts = maxAttempts
        options.stopGrace = stopGrace
        options.maxRunTime = maxRunTime?.seconds
        options.rules = rulesOption.rules
        options.inputLimits = input.limits
        options.transportSettings = [
            "kind": .string("mock"), "latency_ms": .number(mockLatencyMs), "transient_rate": .number(mockTransientRate),
            "permanent_rate": .number(mockPermanentRate), "seed": .number(Double(mockSeed)),
            "throttle": mockThrottle?.policy.map { .string($0.description) } ?? .null,
        ]
        return options
    }

    /// The mock service, its journal beside the database unless named.
    func transport(databasePath: String, clock: any EngineClock) throws -> any DeviceActionTransport {
        try MockTransport(configuration: MockTransportConfiguration(
            latencyMs: mockLatencyMs, transientRate: mockTransientRate, permanentRate: mockPermanentRate, seed: mockSeed,
            throttle: mockThrottle?.policy, journalPath: mockJournal ?? databasePath + ".mock-journal.jsonl"), clock: clock)
    }

    /// The kit's entry point for a batch run with these options.
    func batchRun(_ options: GlobalOptions, database: AppDatabase, logger: Logger) throws -> BatchRun {
        let dependencies = options.runDependencies
        return BatchRun(database: database, transport: try transport(databasePath: options.databasePath, clock: dependencies.clock),
                        options: runOptions(actor: options.osUser), dependencies: dependencies, logger: logger)
    }
}
