import ArgumentParser
import MDMBatchKit

extension ReportFormat: ExpressibleByArgument {}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "The report of a run: summary and what did not succeed, as text or HTML; every (request, device) as JSON.",
        discussion: """
            --format html writes one self-contained page (inline CSS and SVG charts, no script, nothing fetched):
            summary tiles, outcomes by platform, rejection reasons with their rules, a dispatch timeline, a latency
            histogram and what did not succeed. All three formats come from one model.

            Text and HTML list, of each state and reason (rejected · unknown_target, failed, …), the first 100
            (request, device) pairs in plan order and the count of the rest, so that the report of a million-row
            run stays a page; --all lists every one that did not succeed. JSON always lists every element.

            EXAMPLES
              mdmbatch report run-20261126-080000-3fa2c1b7e0
              mdmbatch report run-20261126-080000-3fa2c1b7e0 --format html --output run.html
              mdmbatch report run-20261126-080000-3fa2c1b7e0 --all
            """
    )

    @Argument(help: ArgumentHelp("The run id (mdmbatch status lists them).", valueName: "run-id"))
    var runID: String

    @Option(name: .long, help: "text, json or html.")
    var format: ReportFormat = .text

    @Option(name: .long, help: ArgumentHelp("Write to this file (0600, written whole) instead of standard output.", valueName: "file"))
    var output: String?

    @Flag(name: .long, help: "Text and HTML: list every (request, device) that did not succeed, not the first 100 of each state and reason.")
    var all = false

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try ExitStatus.guarding(options) {
            if let output { try OutputFile.checkWritable(output) }
            let database = try options.openDatabase(.mustExist)
            try Output.write(output ?? "-") { write in try RunReports.write(database, runID: runID, format: format, rows: all ? .all : .standard, to: write) }
        }
    }
}
