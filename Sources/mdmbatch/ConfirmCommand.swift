import ArgumentParser
import Foundation
import MDMBatchKit

struct ConfirmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "confirm",
        abstract: "Ask the service whether the devices carried out a run's actions, and collect the secrets it made.",
        discussion: """
            A 204 from the service means it accepted an action, not that the device did it. confirm reads the action's
            result for every sent element (Graph: deviceActionResults) and records its device state: pending, active,
            done, failed, notSupported or canceled, with an audit row. The temporary passcodes and unlock PINs the
            service made go into --passcodes-out FILE (0600), each once; never into the database.
            It uses the run's own transport and URLs (Graph credentials as for run). With --wait it asks again, paced
            and backing off, until every element is final or the time is up. Confirming twice is safe: each secret
            reaches exactly one file, even across kill -9. confirm takes the database's run lock (DB.lock): while a run
            or another confirm holds it, it exits 75 at once, naming the holder.
            Exit status: 0 every sent element is done on its device; 1 otherwise; 75 the database is held by a run or
            another confirm; 77 the service refused the sign-in or the permission to read
            (DeviceManagementManagedDevices.Read.All).

            EXAMPLES
              mdmbatch confirm run-20261126-080000-3fa2c1b7e0 --wait 300 --passcodes-out passcodes.csv
            """
    )

    @Argument(help: ArgumentHelp("The run id (mdmbatch status lists them).", valueName: "run-id"))
    var runID: String

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Ask again until every device is final, for up to this many seconds (default 0: once).",
                                                                     valueName: "seconds"))
    var wait: Double = 0

    @Option(name: .long, help: ArgumentHelp("Write the secrets the service made to this new file (0600) instead of the terminal.",
                                            valueName: "file"))
    var passcodesOut: String?

    @Option(name: .long, help: ArgumentHelp("Graph credentials: a JSON file with no group or other permission bits, as for run "
                                            + "(default: the environment).", valueName: "file"))
    var credentials: String?

    @OptionGroup var options: GlobalOptions

    func validate() throws {
        guard (0...86_400).contains(wait) else { throw ValidationError("--wait must be 0 to 86400 seconds, not \(wait)") }
    }

    func run() async throws {
        try await ExitStatus.guardingAsync(options) {
            if let passcodesOut { try OutputFile.checkWritable(passcodesOut) }
            let database = try options.openDatabase(.mustExist)
            // one deliverer of secrets at a time: a run, or a confirm (DESIGN.md, "Secrets exactly once")
            let lock = try RunLock(databasePath: options.databasePath, command: "mdmbatch confirm \(runID)")
            defer { withExtendedLifetime(lock) {} }
            let logger = options.makeLogger()
            let secrets = try TerminalSecrets.sink(passcodesOut: passcodesOut)
            let stop = StopSignal()
            let signals = SignalWatch(stop: stop, logger: logger)
            defer { signals.cancel() }
            let dependencies = options.runDependencies
            let transports = TransportFactory(environment: GlobalOptions.environment, credentialsFile: credentials, concurrency: 4,
                                              clock: dependencies.clock, logger: logger)
            let outcome = try await Confirmation.confirm(runID: runID, database: database, transports: transports, secrets: secrets,
                                                         dependencies: dependencies, actor: options.osUser, logger: logger,
                                                         stop: stop, wait: wait)
            if !(options.quiet && outcome.allDone) {
                print("run \(runID)")
                print(ConfirmText.summary(outcome))
            }
            try ExitStatus.finish(outcome, options)
        }
    }
}
