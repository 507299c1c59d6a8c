import ArgumentParser
import Foundation
import MDMBatchKit

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "List runs and their progress, or show one run.",
        discussion: """
            Reads without waiting for a run in progress.

            EXAMPLES
              mdmbatch status
              mdmbatch status run-20261126-080000-3fa2c1b7e0 --json
            """
    )

    @Argument(help: ArgumentHelp("A run id (default: every run).", valueName: "run-id"))
    var runID: String?

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try ExitStatus.guarding(options) {
            let database = try options.openDatabase(.mustExist)
            let runs = try RunReports.status(database, runID: runID)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                let data = try runID == nil ? encoder.encode(runs) : encoder.encode(runs[0])
                print(String(decoding: data, as: UTF8.self))
            } else if runID != nil {
                print(RunReportText.summary(runs[0].run, runs[0].summary))
            } else if runs.isEmpty {
                print("no runs yet")
            } else {
                for (run, summary) in runs.map({ ($0.run, $0.summary) }) {
                    let done = summary.targets - summary.open
                    print("\(run.id)  \(run.state.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0))  \(run.startedAt)  "
                          + "\(done)/\(summary.targets) done, \(summary.count(.succeeded)) succeeded, "
                          + "\(summary.count(.failed) + summary.count(.unknownOutcome)) failed or unknown, "
                          + "\(summary.rejected) rejected"
                          + (summary.count(.settleWait) > 0 ? ", \(summary.count(.settleWait)) settle_wait (to ask the service about)" : "")
                          + "  \(TerminalText.escaped(run.batchName))")
                }
            }
        }
    }
}
