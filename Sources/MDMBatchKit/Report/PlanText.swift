/// The plan for people: one line per element, then counts by reason.
public enum PlanText {
    public static var header: String {
        cell("LINE", 6) + " " + cell("REQUEST", 12) + " " + cell("ACTION", 15) + " " + cell("TARGET", 26) + " "
            + cell("DEVICE", 14) + " " + cell("PLATFORM", 17) + " " + cell("VERDICT", 9) + " REASON / NOTES"
    }

    public static func row(_ item: PlanItem) -> String {
        var notes: [String] = []
        if let reason = item.reason { notes.append(reason.rawValue) }
        notes += item.verdict.warnings.map { "warning: \($0.rawValue)" }
        if let secret = item.secret { notes.append(secret.displayName) }
        if let detail = item.verdict.detail { notes.append("(\(TerminalText.escaped(detail)))") }
        return cell(String(item.line), 6) + " " + cell(item.requestID, 12) + " " + cell(item.actionName, 15) + " "
            + cell(item.target, 26) + " " + cell(item.deviceID, 14) + " " + cell(item.platform?.storedValue, 17) + " "
            + cell(item.verdictName, 9) + " " + notes.joined(separator: "; ")
    }

    public static func summary(_ plan: Plan) -> String {
        let s = plan.summary
        let secrets = s.secrets.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.value) \($0.key.displayName)\($0.value == 1 ? "" : "s")" }
        var lines = ["", "\(TerminalText.escaped(plan.batch.name)): \(s.requests) requests, \(s.targets) targets: "
                     + "\(s.accepted) accepted, \(s.rejected) rejected"
                     + (s.skipped > 0 ? ", \(s.skipped) skipped" : "")
                     + (secrets.isEmpty ? "" : " (will make \(secrets.joined(separator: " and ")))")]
        for (reason, count) in s.byReason.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
            lines.append("  \(cell(reason.rawValue, 28)) \(TerminalText.leftPadded(String(count), 6))   rule \(reason.rule(in: plan.rules))")
        }
        lines.append("Nothing was sent. Rule set \(plan.rules.name); batch sha256 \(plan.batch.sha256)")
        return lines.joined(separator: "\n")
    }

    private static func cell(_ text: String?, _ width: Int) -> String { TerminalText.cell(text, width) }
}
