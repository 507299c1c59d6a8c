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
            One run per database at a time: a second one exits 75 at once, naming the holder (lock file DB.lock).
            SIGINT or SIGTERM stops taking new work, lets the calls in flight answer (up to --stop-grace seconds),
            records the run as interrupted and exits 75. A progress line is drawn on stderr when it is a terminal.
            Exit status: 0 every request succeeded; 1 some were rejected, failed or ended unknown; 75 interrupted
            or another run holds the database (run it again to resume).
            """
    )

    @Argument(help: ArgumentHelp("The batch file, or - for standard input.", valueName: "batch"))
    var batch: String

    @Option(name: .long, help: ArgumentHelp("Also write the full report as JSON to this file.", valueName: "file.json"))
    var report: String?

    @Option(name: .long, help: ArgumentHelp("Write temporary passcodes to this new file (0600) instead of the terminal.", valueName: "file"))
    var passcodesOut: String?

    @Option(name: .long, help: ArgumentHelp("Also write the report as one self-contained HTML page.", valueName: "file.html"))
    var reportHtml: String?

    @Flag(name: .long, help: "Print the full report as JSON instead of the text summary.")
    var json = false

    @OptionGroup var dispatch: DispatchOptions

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await ExitStatus.guardingAsync {
            let lock = try RunLock(databasePath: options.databasePath, command: "mdmbatch run \(batch)")
            defer { withExtendedLifetime(lock) {} }
            let database = try options.openDatabase()
            let logger = options.makeLogger()
            let passcodes = try PasscodeOutput(path: passcodesOut)
            let stop = StopSignal()
            let signals = SignalWatch(stop: stop, logger: logger)
            defer { signals.cancel() }
            let execution = BatchExecution(options: options, dispatch: dispatch, database: database, logger: logger)
            let finished = try await execution.run(batch: batch, passcodes: passcodes, stop: stop)
            if let report { try execution.writeReport(finished, to: report) }
            if let reportHtml { try execution.writeReport(finished, to: reportHtml, html: true) }
            if json {
                try execution.writeReport(finished, to: "-")
            } else if !(options.quiet && finished.allWell) {
                print(RunReportText.summary(finished.run, finished.summary))
                if finished.outcome.interrupted { print("  interrupted: run the same batch again to resume") }
            }
            if finished.outcome.interrupted { throw ExitCode(75) }
            if !finished.allWell { throw ExitCode(1) }
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
