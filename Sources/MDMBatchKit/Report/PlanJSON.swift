/// JSON shapes of DESIGN.md ("Plan / report JSON"), written by hand so that a plan of
/// a million elements streams without building a tree.
public enum PlanJSON {
    public static func element(_ item: PlanItem) -> String {
        "{" + members(item) + "}"
    }

    /// The members of an element, without braces: a report element adds its own after them.
    static func members(_ element: some PlannedElement) -> String {
        var out = "\"line\": \(element.line), \"request_id\": \(JSONText.quote(element.requestID)), "
        out += "\"action\": \(JSONText.quote(element.actionName)), \"target\": \(JSONText.quote(element.target)), "
        out += "\"device_id\": \(JSONText.quote(element.deviceID)), \"platform\": \(JSONText.quote(element.platform?.storedValue)), "
        out += "\"verdict\": \"\(element.planVerdict.rawValue)\", \"reason\": \(JSONText.quote(element.reason?.rawValue)), "
        out += "\"warnings\": [\(element.warnings.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))], "
        // the secret the element makes when it is sent (the boolean is kept for round-1 readers)
        out += "\"secret\": \(JSONText.quote(element.secret?.rawValue)), "
        out += "\"temporary_passcode\": \(element.secret == .temporaryPasscode), \"detail\": \(JSONText.quote(element.detail))"
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
