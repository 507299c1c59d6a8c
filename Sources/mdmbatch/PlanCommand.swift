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
            (already_done) or left with an unknown outcome (unknown_earlier) are shown as skipped, as run would skip them.
            Nothing is sent and nothing is changed, but one audit row records that the dry run was made.

            EXAMPLES
              mdmbatch plan lost.csv
              mdmbatch plan lost.csv --json > plan.json
            """
    )

    @Argument(help: ArgumentHelp("The batch file, or - for standard input.", valueName: "batch"))
    var batch: String

    @OptionGroup var rulesOption: RuleSetOption

    @OptionGroup var input: InputLimitOptions

    @Flag(name: .long, help: "Print the plan as one JSON object: every element, then the summary.")
    var json = false

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try ExitStatus.guarding(options) {
            let database = try options.openDatabase(.mustExist)
            let output = StandardOutput()
            var first = true
            let plan = try DryRun.run(
                batchPath: batch, database: database, rules: rulesOption.inForce, actor: options.osUser, now: Date(), limits: input.limits,
                loaded: { info in
                    if json { output.write(PlanJSON.header(info, rules: rulesOption.inForce), newline: false) }
                    else if !options.quiet { output.write(PlanText.header) }
                },
                each: { item in
                    if json { output.write((first ? "\n  " : ",\n  ") + PlanJSON.element(item), newline: false) }
                    else if !options.quiet { output.write(PlanText.row(item)) }
                    first = false
                })
            if json {
                output.write("\n ],\n \"summary\": " + PlanJSON.summary(plan.summary) + "}")
            } else if !options.quiet {
                output.write(PlanText.summary(plan))
            }
            output.flush()
            if plan.batch.requests == 0 {
                options.makeLogger().warning("the batch holds no request (a header only?)", metadata: ["batch": "\(plan.batch.name)"])
            }
        }
    }
}
