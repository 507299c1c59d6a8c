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

    @Option(name: .long, help: ArgumentHelp("""
        How long after a send whose answer proved nothing (a 5xx, a timeout, a dropped connection) a reset or a Mac lock \
        not found at the service counts as never received, and is sent again (default 2m; the service's results lag \
        behind its answers). Recorded with the run: a resumed run keeps it unless given again.
        """, valueName: "duration"))
    var settle: Span?

    @Flag(name: .long, help: "After sending, confirm that the devices carried the actions out (and collect their secrets).")
    var confirm = false

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("With --confirm: how long to wait for every device (default 60).",
                                                                     valueName: "seconds"))
    var confirmWait: Double = 60

    @OptionGroup var transport: TransportOptions

    func validate() throws {
        guard (1...1024).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 1024, not \(concurrency)") }
        guard (1...100).contains(maxAttempts) else { throw ValidationError("--max-attempts must be 1 to 100, not \(maxAttempts)") }
        guard (0...600).contains(stopGrace) else { throw ValidationError("--stop-grace must be 0 to 600 seconds, not \(stopGrace)") }
        guard (0...86_400).contains(confirmWait) else { throw ValidationError("--confirm-wait must be 0 to 86400 seconds, not \(confirmWait)") }
    }

    /// The engine's options.
    func runOptions(actor: String) -> RunOptions {
        var options = RunOptions(actor: actor)
        options.concurrency = concurrency
        options.rate = rate.policy
        options.retry.maxAttempts = maxAttempts
        options.stopGrace = stopGrace
        options.maxRunTime = maxRunTime?.seconds
        options.settleAskedFor = settle?.seconds
        options.rules = rulesOption.rules
        options.inputLimits = input.limits
        options.transport = transport.request
        options.confirmWait = confirm ? confirmWait : nil
        return options
    }

    /// The kit's entry point for a batch run with these options.
    func batchRun(_ options: GlobalOptions, database: AppDatabase, logger: Logger) -> BatchRun {
        let dependencies = options.runDependencies
        return BatchRun(database: database,
                        transports: transport.factory(concurrency: concurrency, clock: dependencies.clock, logger: logger),
                        options: runOptions(actor: options.osUser), dependencies: dependencies, logger: logger)
    }
}
