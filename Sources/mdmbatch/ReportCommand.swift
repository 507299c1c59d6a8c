import ArgumentParser
import MDMBatchKit

extension ReportFormat: ExpressibleByArgument {}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "The full report of a run: summary and every (request, device), as text, JSON or HTML.",
        discussion: """
            --format html writes one self-contained page (inline CSS and SVG charts, no script, nothing fetched):
            summary tiles, outcomes by platform, rejection reasons with their rules, a dispatch timeline, a latency
            histogram and every (request, device) that did not succeed. All three formats come from one model.

            EXAMPLES
              mdmbatch report run-20261126-080000-3fa2c1b7e0
              mdmbatch report run-20261126-080000-3fa2c1b7e0 --format html --output run.html
            """
    )

    @Argument(help: ArgumentHelp("The run id (mdmbatch status lists them).", valueName: "run-id"))
    var runID: String

    @Option(name: .long, help: "text, json or html.")
    var format: ReportFormat = .text

    @Option(name: .long, help: ArgumentHelp("Write to this file (0600, written whole) instead of standard output.", valueName: "file"))
    var output: String?

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try ExitStatus.guarding(options) {
            if let output { try OutputFile.checkWritable(output) }
            let database = try options.openDatabase(.mustExist)
            try Output.write(output ?? "-") { write in try RunReports.write(database, runID: runID, format: format, to: write) }
        }
    }
}
