import ArgumentParser
import Foundation
import MDMBatchKit

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Dry run: the verdict of the platform rules for every request of a batch, and why.",
        discussion: """
            BATCH is CSV or JSONL with the columns action and target (required), request_id, target_type
            (device_id, serial, imei or user), reason, requested_by and ticket; - reads standard input.
            A target without a type is looked up as a device id, then a serial number, then an IMEI, then a user
            (a user expands to every device whose primary user it is). Requests that an earlier run already did
            (already_done) or left with an unknown outcome (unknown_earlier) are shown as skipped, as run would skip them:
            only runs to the same service count, the mock unless --transport graph (and --graph-url) say otherwise.
            Nothing is sent and nothing is changed, but one audit row records that the dry run was made.

            The text lists, of each verdict and reason (rejected · unknown_target, accepted, …), the first 100
            elements in plan order and the count of the rest, then the counts by reason; --all lists every element,
            one line each. --json always lists every element.

            EXAMPLES
              mdmbatch plan lost.csv
              mdmbatch plan lost.csv --all
              mdmbatch plan lost.csv --json > plan.json
            """
    )

    @Argument(help: ArgumentHelp("The batch file, or - for standard input.", valueName: "batch"))
    var batch: String

    @OptionGroup var rulesOption: RuleSetOption

    @OptionGroup var input: InputLimitOptions

    @Flag(name: .long, help: "Print the plan as one JSON object: every element, then the summary.")
    var json = false

    @Flag(name: .long, help: "List every element, one line each, not the first 100 of each verdict and reason.")
    var all = false

    @Option(name: .long, help: ArgumentHelp("The service the batch is meant for, mock (the default) or graph: only earlier runs "
                                            + "to it count for already_done, unknown_earlier and unlock_pin_outstanding.",
                                            valueName: "kind"))
    var transport: TransportSettings.Kind?

    @Option(name: .long, help: ArgumentHelp("With --transport graph: Graph's base URL (default https://graph.microsoft.com/v1.0).",
                                            valueName: "url"))
    var graphURL: String?

    func validate() throws {
        if graphURL != nil && transport != .graph {
            throw ValidationError("--graph-url is a Graph option: pass --transport graph to plan for Graph")
        }
    }

    /// The service whose earlier runs count.
    var service: ServiceIdentity {
        var settings = TransportSettings()
        settings.kind = transport ?? .mock
        if let graphURL { settings.graphURL = graphURL }
        return ServiceIdentity(settings)
    }

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try ExitStatus.guarding(options) {
            let database = try options.openDatabase(.mustExist)
            let output = StandardOutput()
            let silent = options.quiet && !json
            let plan = try PlanReports.write(
                batchPath: batch, database: database, rules: rulesOption.inForce, service: service, actor: options.osUser, now: Date(),
                limits: input.limits, json: json, rows: all ? .all : .standard,
                to: { if !silent { output.write($0, newline: false) } })
            output.flush()
            if plan.batch.requests == 0 {
                options.makeLogger().warning("the batch holds no request (a header only?)", metadata: ["batch": "\(plan.batch.name)"])
            }
        }
    }
}
