import Foundation

/// The run report as JSON (DESIGN.md: the plan element shape plus state, attempts,
/// last_error and timestamps; a summary by state, platform and reason, and figures).
public enum RunReportJSON {
    public static func header(_ run: RunRecord) -> String {
        "{\"run_id\": \(JSONText.quote(run.id)), \"state\": \(JSONText.quote(run.state.rawValue)), \"batch\": \(JSONText.quote(run.batchName)), "
            + "\"batch_sha256\": \(JSONText.quote(run.batchSHA256)), \"rule_set\": \(JSONText.quote(run.ruleSet)), "
            + "\"actor\": \(JSONText.quote(run.actor)), "
            + "\"started_at\": \(JSONText.quote(run.startedAt)), \"finished_at\": \(JSONText.quote(run.finishedAt)), "
            + "\"options\": \(run.optionsText), \"requests\": ["
    }

    public static func element(_ element: ReportElement) -> String {
        "{" + PlanJSON.members(element)
            + ", \"requested_by\": \(JSONText.quote(element.requestedBy)), \"ticket\": \(JSONText.quote(element.ticket)), "
            + "\"request_reason\": \(JSONText.quote(element.justification))"
            + ", \"state\": \"\(element.state.rawValue)\", \"attempts\": \(element.attempts), "
            + "\"last_error\": \(JSONText.quote(element.lastError)), \"channel\": \(JSONText.quote(element.channel)), "
            + "\"queued_at\": \(JSONText.quote(element.queuedAt)), \"first_sent_at\": \(JSONText.quote(element.firstSentAt)), "
            + "\"finished_at\": \(JSONText.quote(element.finishedAt)), \"latency_ms\": \(number(element.latencyMs)), "
            + "\"device_state\": \(JSONText.quote(element.deviceState?.rawValue)), \"device_state_at\": \(JSONText.quote(element.deviceStateAt)), "
            + "\"secret_delivered\": \(element.secretDelivered), \(element.service.jsonMembers)}"
    }

    public static func summary(_ s: RunSummary) -> String {
        func counts<Key>(_ table: [Key: Int], _ name: (Key) -> String) -> String {
            "{" + table.map { (name($0.key), $0.value) }.sorted { $0.0 < $1.0 }
                .map { "\(JSONText.quote($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
        }
        let platforms = s.platformsByName.map { "\(JSONText.quote($0.name)): \(counts($0.states, \.rawValue))" }
        return "{\"requests\": \(s.requests), \"targets\": \(s.targets), \"accepted\": \(s.accepted), \"rejected\": \(s.rejected), "
            + "\"by_state\": \(counts(s.byState, \.rawValue)), \"by_platform\": {\(platforms.joined(separator: ", "))}, "
            + "\"by_reason\": \(counts(s.byReason, \.rawValue)), \"by_device_state\": \(counts(s.byDeviceState, RunSummary.name(of:))), "
            + "\"attempts\": \(s.attempts), "
            + "\"elapsed_s\": \(number(s.elapsedSeconds)), \"throughput_per_s\": \(number(s.throughputPerSecond)), "
            + "\"latency_ms\": {\"p50\": \(number(s.latencyP50Ms)), \"p95\": \(number(s.latencyP95Ms)), \"max\": \(number(s.latencyMaxMs))}}"
    }

    static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "null" }
        return String((value * 1000).rounded() / 1000)
    }

    /// The whole report, written piece by piece to `write`.
    public static func write(run: RunRecord, summary: RunSummary, store: StoreReader, to write: (String) throws -> Void) throws {
        try write(header(run))
        var first = true
        try store.forEachElement(of: run.id) { element in
            try write((first ? "\n  " : ",\n  ") + self.element(element))
            first = false
        }
        try write("\n ],\n \"summary\": " + self.summary(summary) + "}\n")
    }
}
