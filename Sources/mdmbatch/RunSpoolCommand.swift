import ArgumentParser
import Foundation
import MDMBatchKit

struct RunSpoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-spool",
        abstract: "Run every batch file of DIR/incoming in name order, then file each under DIR/done or DIR/failed.",
        discussion: """
            For a nightly job. Each batch is run as `mdmbatch run` would; once its run is finished, its report
            (NAME.report.json) and any secrets (NAME.passcodes.csv, 0600) are written to the destination, and the batch
            file is moved beside them: to DIR/done when every request succeeded, else to DIR/failed (some rejected,
            failed or unknown, or the file is malformed: NAME.error.txt says why).
            A batch is moved only after its run is terminal: after a crash or a signal it stays in DIR/incoming and the
            next run-spool resumes it (a batch whose run already finished is filed without being sent again).
            Holds the database's run lock for the whole spool. Exit status: 0 every batch done; 1 some filed under
            failed; 75 interrupted or another run holds the database; 74 database I/O error.

            EXAMPLES
              mdmbatch run-spool /var/spool/mdmbatch --db /var/lib/mdmbatch/mdmbatch.sqlite --quiet
            """
    )

    @Argument(help: ArgumentHelp("The spool directory (with incoming/; done/ and failed/ are created).", valueName: "dir"))
    var directory: String

    @OptionGroup var dispatch: DispatchOptions

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await ExitStatus.guardingAsync(options) {
            let spool = Spool(root: URL(fileURLWithPath: directory))
            let lock = try RunLock(databasePath: options.databasePath, command: "mdmbatch run-spool \(directory)")
            defer { withExtendedLifetime(lock) {} }
            let database = try options.openDatabase(.createIfMissing)
            let logger = options.makeLogger()
            let stop = StopSignal()
            let signals = SignalWatch(stop: stop, logger: logger)
            defer { signals.cancel() }
            let batchRun = dispatch.batchRun(options, database: database, logger: logger)
            let outcome = try await spool.run(batchRun, stop: stop, progress: RunProgress())
            try ExitStatus.finish(outcome, options)
        }
    }
}
