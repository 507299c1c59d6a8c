import ArgumentParser
import MDMBatchKit

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, html
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "The full report of a run: summary and every (request, device), as text, JSON or HTML.",
        discussion: """
            --format html writes one self-contained page (inline CSS and SVG charts, no script, nothing fetched):
            summary tiles, outcomes by platform, rejection reasons with their rules, a dispatch timeline, a latency
            histogram and every (request, device) that did not succeed. All three formats come from one model.
            """
    )

    @Argument(help: ArgumentHelp("The run id (mdmbatch status lists them).", valueName: "run-id"))
    var runID: String

    @Option(name: .long, help: "text, json or html.")
    var format: ReportFormat = .text

    @Option(name: .long, help: ArgumentHelp("Write to this file (0600) instead of standard output.", valueName: "file"))
    var output: String?

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try ExitStatus.guarding {
            let database = try options.openDatabase()
            try database.read { db in
                guard let run = try RunReports.run(runID, db) else { throw ReportError.noSuchRun(runID) }
                let summary = try RunReports.summary(of: run, db)
                try OutputFile.write(output ?? "-") { write in
                    switch format {
                    case .json: try RunReportJSON.write(run: run, summary: summary, db: db, to: write)
                    case .text: try RunReportText.write(run: run, summary: summary, db: db, to: write)
                    case .html: try RunReportHTML.write(run: run, summary: summary, db: db, to: write)
                    }
                }
            }
        }
    }
}
