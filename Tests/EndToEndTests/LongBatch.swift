import Foundation
import Testing

/// A batch too long for a report to list whole: the reports' tests (LongReportTests) and
/// the plan's (PlanCommandTests) read the same one.
enum LongBatch {
    /// Requests the batch adds for devices that do not exist.
    static let unknownTargets = 150
    /// The rows a report lists of one (state, reason) without `--all`.
    static let limit = 100
    /// The sample batch has one unknown target of its own.
    static let unknownGroup = unknownTargets + 1
    /// The rows of that group a report leaves out.
    static let rest = unknownGroup - limit

    /// The sample batch plus 150 requests for devices that do not exist: 150 elements in
    /// (rejected, unknown_target), more than the 100 a report lists; every other group is small.
    static func prepare(_ cli: CLIHarness) throws -> String {
        #expect(try cli.run(["import", "users", cli.sample("users.csv"), "--quiet"]).status == 0)
        #expect(try cli.run(["import", "devices", cli.sample("devices.csv"), "--quiet"]).status == 0)
        var batch = try String(contentsOfFile: cli.sample("batch-lost.csv"), encoding: .utf8)
        for index in 1...unknownTargets {
            batch += "u-\(index),lock,no-such-device-\(index),device_id,Lost,helpdesk@contoso.com,INC-\(index)\n"
        }
        return try cli.write("long batch.csv", batch)
    }

    /// The lines of `text` that contain `needle`.
    static func lines(_ text: String, containing needle: String) -> [Substring] {
        text.split(separator: "\n").filter { $0.contains(needle) }
    }
}
