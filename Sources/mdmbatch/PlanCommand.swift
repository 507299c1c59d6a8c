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
            (a user expands to every device whose primary user it is).
            Nothing is sent and nothing is changed, but one audit row records that the dry run was made.
            """
    )

    @Argument(help: ArgumentHelp("The batch file, or - for standard input.", valueName: "batch"))
    var batch: String

    @Flag(name: .long, help: "Print the plan as one JSON object (DESIGN.md, Plan / report JSON).")
    var json = false

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try ExitStatus.guarding {
            let database = try options.openDatabase()
            let output = StandardOutput()
            let table = PlanTable()
            var first = true
            let plan = try database.writer.writeWithoutTransaction { db in
                try Planner.plan(
                    batchPath: batch, in: db, rules: .intune2017, now: Int64(Date().timeIntervalSince1970),
                    loaded: { info in
                        if json { output.write(PlanJSON.header(info), newline: false) }
                        else if !options.quiet { output.write(table.header) }
                    },
                    each: { item in
                        if json { output.write((first ? "\n  " : ",\n  ") + PlanJSON.element(item), newline: false) }
                        else if !options.quiet { output.write(table.row(item)) }
                        first = false
                    })
            }
            if json {
                output.write("\n ],\n \"summary\": " + PlanJSON.summary(plan.summary) + "}")
            } else if !options.quiet {
                output.write(table.summary(plan))
            }
            output.flush()
            try database.write { db in
                try AuditLog.append(AuditEvent(event: "plan", actor: options.osUser, outcome: "planned", detail: [
                    "batch": .string(plan.batch.name), "batch_sha256": .string(plan.batch.sha256),
                    "requests": .number(Double(plan.summary.requests)), "targets": .number(Double(plan.summary.targets)),
                    "accepted": .number(Double(plan.summary.accepted)), "rejected": .number(Double(plan.summary.rejected)),
                ]), at: Date(), in: db, checkpoint: true)
            }
        }
    }
}

/// The human-readable plan: one line per element, then counts by reason.
struct PlanTable {
    private func cell(_ text: String?, _ width: Int) -> String {
        let value = text ?? "-"
        if value.count > width { return String(value.prefix(width - 1)) + "…" }
        return value + String(repeating: " ", count: width - value.count)
    }

    var header: String {
        cell("LINE", 6) + " " + cell("REQUEST", 12) + " " + cell("ACTION", 15) + " " + cell("TARGET", 26) + " "
            + cell("DEVICE", 14) + " " + cell("PLATFORM", 17) + " " + cell("VERDICT", 9) + " REASON / NOTES"
    }

    func row(_ item: PlanItem) -> String {
        var notes: [String] = []
        if let reason = item.verdict.reason { notes.append(reason.rawValue) }
        notes += item.verdict.warnings.map { "warning: \($0.rawValue)" }
        if item.verdict.temporaryPasscode { notes.append("temporary passcode") }
        if let detail = item.verdict.detail { notes.append("(\(detail))") }
        return cell(String(item.line), 6) + " " + cell(item.requestID, 12) + " " + cell(item.action, 15) + " "
            + cell(item.target, 26) + " " + cell(item.deviceID, 14) + " " + cell(item.platform, 17) + " "
            + cell(item.verdictName, 9) + " " + notes.joined(separator: "; ")
    }

    func summary(_ plan: Plan) -> String {
        let s = plan.summary
        var lines = ["", "\(plan.batch.name): \(s.requests) requests, \(s.targets) targets: \(s.accepted) accepted, \(s.rejected) rejected"
                     + (s.temporaryPasscodes > 0 ? " (\(s.temporaryPasscodes) resets will create a temporary passcode)" : "")]
        for (reason, count) in s.byReason.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
            lines.append("  \(cell(reason.rawValue, 28)) \(String(count).leftPadded(6))   rule \(reason.rule)")
        }
        lines.append("Nothing was sent. batch sha256 \(plan.batch.sha256)")
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
