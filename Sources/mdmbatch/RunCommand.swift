import ArgumentParser
import Foundation
import MDMBatchKit

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Send a batch: plan it, then dispatch the accepted requests through the transport.",
        discussion: """
            Running a batch whose sha256 matches an unfinished run resumes that run: finished requests are not sent
            again; a request_id that succeeded on the same device in an earlier run to the same service is skipped
            (already_done), and an element that ended with an unknown outcome there is skipped too (unknown_earlier). The
            same service: the same transport and, for Graph, the same origin of --graph-url; a rehearsal over the mock
            never blocks a run to Graph. Graph options need --transport graph (unless the run resumed recorded it).
            Transport: the built-in mock of the device-management service (--mock-* options); its journal of every send
            and effect goes to --mock-journal (default: next to the database).
            Secrets (temporary passcodes) are shown once: on the terminal, or in --passcodes-out FILE (created 0600,
            CSV device_id,request_id,line,action,kind,secret). They are never stored.
            One run per database at a time: a second one exits 75 at once, naming the holder (lock file DB.lock).
            SIGINT or SIGTERM stops taking new work, lets the calls in flight answer (up to --stop-grace seconds; a second
            signal stops at once), records the run as interrupted and exits 75. A progress line is drawn on stderr when it
            is a terminal.
            Exit status: 0 every request succeeded; 1 some were rejected, failed or ended unknown; 64 usage error;
            65 malformed batch; 66 batch or database unreadable; 73 an output file cannot be created; 74 database I/O
            error; 75 interrupted, the service kept failing, or another run holds the database (run it again to resume);
            77 the service refused the sign-in or a permission (the run is interrupted: resume once fixed);
            78 configuration: no or unsafe credentials, http:// off loopback, a signing key this database needs.

            EXAMPLES
              mdmbatch run lost.csv --passcodes-out passcodes.csv --report report.json
              mdmbatch run nightly.csv --quiet --max-run-time 2h
            """
    )

    @Argument(help: ArgumentHelp("The batch file, or - for standard input.", valueName: "batch"))
    var batch: String

    @Option(name: .long, help: ArgumentHelp("Also write the full report as JSON to this file.", valueName: "file.json"))
    var report: String?

    @Option(name: .long, help: ArgumentHelp("Write secrets (temporary passcodes) to this new file (0600) instead of the terminal.",
                                            valueName: "file"))
    var passcodesOut: String?

    @Option(name: .long, help: ArgumentHelp("Also write the report as one self-contained HTML page.", valueName: "file.html"))
    var reportHtml: String?

    @Flag(name: .long, help: "Print the full report as JSON instead of the text summary.")
    var json = false

    @Flag(name: .long, help: """
        Reopen the latest run of this batch and ask the service about each element that ended with an unknown outcome: \
        received → succeeded (its secret collected while the service holds it), never received → sent, still unknown → left.
        """)
    var retryUnknown = false

    @OptionGroup var dispatch: DispatchOptions

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await ExitStatus.guardingAsync(options) {
            let lock = try RunLock(databasePath: options.databasePath, command: "mdmbatch run \(batch)")
            defer { withExtendedLifetime(lock) {} }
            // every output is checked before anything is sent
            for path in [report, reportHtml, passcodesOut].compactMap({ $0 }) { try OutputFile.checkWritable(path) }
            let database = try options.openDatabase(.createIfMissing)
            let logger = options.makeLogger()
            let secrets = try TerminalSecrets.sink(passcodesOut: passcodesOut)
            let stop = StopSignal()
            let signals = SignalWatch(stop: stop, logger: logger)
            defer { signals.cancel() }
            var batchRun = dispatch.batchRun(options, database: database, logger: logger)
            batchRun.options.retryUnknown = retryUnknown
            let progress = RunProgress()
            let ticker = ProgressLine.start(progress, enabled: !options.quiet)
            let finished: BatchRun.Finished
            do {
                finished = try await batchRun.run(batchPath: batch, secrets: secrets, stop: stop, progress: progress)
                await ticker.finish()
            } catch RunError.emptyBatch(let name) {
                await ticker.finish()
                logger.warning("the batch holds no request (a header only?): nothing to run, no run made", metadata: ["batch": "\(name)"])
                return
            } catch {
                await ticker.finish()
                throw error
            }
            for (path, format) in [(report, ReportFormat.json), (reportHtml, .html)] {
                guard let path else { continue }
                try OutputFile.write(path) { write in try RunReports.write(database, runID: finished.run.id, format: format, to: write) }
            }
            if json {
                try Output.write("-") { write in try RunReports.write(database, runID: finished.run.id, format: .json, to: write) }
            } else if !(options.quiet && finished.allWell) {
                print(RunReportText.summary(finished.run, finished.summary))
                if let secrets = finished.outcome.confirmation.flatMap(ConfirmText.secretsSummary) { print(secrets) }
                if finished.outcome.interrupted { print("  interrupted: run the same batch again to resume") }
            }
            if finished.outcome.secretsToCollect > 0 && finished.outcome.confirmation == nil {
                // over Graph the service makes the secrets: they are collected by asking it
                Console.error("mdmbatch: \(finished.outcome.secretsToCollect) secret(s) (temporary passcodes, unlock PINs) are held by "
                              + "the service: collect them with `mdmbatch confirm \(finished.run.id) --passcodes-out FILE`")
            }
            try ExitStatus.finish(finished, options)
        }
    }
}
