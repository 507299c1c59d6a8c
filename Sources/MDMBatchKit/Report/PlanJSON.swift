/// JSON shapes of DESIGN.md ("Plan / report JSON"), written by hand so that a plan of
/// a million elements streams without building a tree.
public enum PlanJSON {
    public static func element(_ item: PlanItem) -> String {
        "{" + members(item, reason: item.reason) + "}"
    }

    /// The members of an element, without braces: a report element adds its own after
    /// them. `reason` is the rejection's reason, or a run's skip reason.
    static func members(_ item: PlanItem, reason: ReasonCode?) -> String {
        var out = "\"line\": \(item.line), \"request_id\": \(JSONText.quote(item.requestID)), "
        out += "\"action\": \(JSONText.quote(item.actionName)), \"target\": \(JSONText.quote(item.target)), "
        out += "\"device_id\": \(JSONText.quote(item.deviceID)), \"platform\": \(JSONText.quote(item.platform?.storedValue)), "
        out += "\"verdict\": \"\(item.verdictName)\", \"reason\": \(JSONText.quote(reason?.rawValue)), "
        out += "\"warnings\": [\(item.verdict.warnings.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))], "
        // the secret the element makes when it is sent (the boolean is kept for round-1 readers)
        out += "\"secret\": \(JSONText.quote(item.secret?.rawValue)), "
        out += "\"temporary_passcode\": \(item.secret == .temporaryPasscode), \"detail\": \(JSONText.quote(item.verdict.detail))"
        return out
    }

    public static func summary(_ summary: PlanSummary) -> String {
        let reasons = summary.byReason.sorted { $0.key < $1.key }.map { "\"\($0.key.rawValue)\": \($0.value)" }
        return "{\"requests\": \(summary.requests), \"targets\": \(summary.targets), \"accepted\": \(summary.accepted), "
            + "\"rejected\": \(summary.rejected), \"skipped\": \(summary.skipped), \"by_reason\": {\(reasons.joined(separator: ", "))}}"
    }

    public static func header(_ batch: BatchFileInfo, rules: RuleSet) -> String {
        "{\"batch\": \(JSONText.quote(batch.name)), \"batch_sha256\": \(JSONText.quote(batch.sha256)), "
            + "\"rule_set\": \(JSONText.quote(rules.name)), \"requests\": ["
    }
}
