import Foundation
import GRDB

/// A run as recorded in `runs`.
public struct RunRecord: Sendable, Equatable {
    public var id: String
    public var batchName: String
    public var batchSHA256: String
    public var state: String
    public var actor: String
    public var startedAt: String
    public var finishedAt: String?
    public var options: String
    public var requests: Int
    public var targets: Int
}

/// The counts of a run: the one model behind the text, JSON and HTML reports.
public struct RunSummary: Sendable, Equatable {
    public var requests = 0
    public var targets = 0
    public var accepted = 0
    public var rejected = 0
    public var byState: [String: Int] = [:]
    /// platform → state → count
    public var byPlatform: [String: [String: Int]] = [:]
    public var byReason: [String: Int] = [:]
    public var attempts = 0
    /// From the first send to the last outcome.
    public var elapsedSeconds: Double?
    /// Dispatches that reached an outcome, per second of `elapsedSeconds`.
    public var throughputPerSecond: Double?
    public var latencyP50Ms: Double?
    public var latencyP95Ms: Double?
    public var latencyMaxMs: Double?

    public func count(_ state: DispatchState) -> Int { byState[state.rawValue] ?? 0 }

    /// Every request succeeded (or had already been done).
    public var allSucceeded: Bool {
        count(.rejected) + count(.failed) + count(.unknownOutcome) == 0 && open == 0
    }

    /// Rows still waiting for an outcome.
    public var open: Int { count(.planned) + count(.queued) + count(.sending) + count(.retryWait) }
}

/// One (request, device) of a run report: the plan element and what became of it.
public struct ReportElement: Sendable, Equatable {
    public var item: PlanItem
    public var state: DispatchState
    public var attempts: Int
    public var lastError: String?
    public var channel: String?
    public var queuedAt: String?
    public var firstSentAt: String?
    public var finishedAt: String?
    public var latencyMs: Double?
}

/// Reads runs, their summaries and their elements from the store.
public enum RunReports {
    public static func runs(_ db: Database) throws -> [RunRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY started_at DESC, id DESC").map(record)
    }

    /// The latest finished run of the batch file at `path` (by its sha256), when no run of
    /// it is unfinished: such a batch was done already.
    public static func finishedRun(ofBatchAt path: String, _ db: Database) throws -> RunRecord? {
        let source = try ByteSource(path: path)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
        defer { buffer.deallocate() }
        while try source.read(into: buffer) > 0 {}
        let sha256 = source.finishDigest()
        guard try String.fetchOne(db, sql: "SELECT id FROM runs WHERE batch_sha256 = ? AND state != 'finished'",
                                  arguments: [sha256]) == nil,
              let id = try String.fetchOne(db, sql: """
                  SELECT id FROM runs WHERE batch_sha256 = ? AND state = 'finished' ORDER BY started_at DESC LIMIT 1
                  """, arguments: [sha256]) else { return nil }
        return try run(id, db)
    }

    public static func run(_ id: String, _ db: Database) throws -> RunRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]).map(record)
    }

    private static func record(_ row: Row) -> RunRecord {
        RunRecord(id: row["id"], batchName: row["batch_name"], batchSHA256: row["batch_sha256"], state: row["state"],
                  actor: row["actor"], startedAt: row["started_at"], finishedAt: row["finished_at"], options: row["options"],
                  requests: row["requests"], targets: row["targets"])
    }

    public static func summary(of run: RunRecord, _ db: Database) throws -> RunSummary {
        var summary = RunSummary()
        summary.requests = run.requests
        for row in try Row.fetchAll(db, sql: """
            SELECT state, coalesce(platform, '(no device)') AS platform, reason, count(*) AS n, sum(attempts) AS attempts
            FROM dispatches WHERE run_id = ? GROUP BY state, platform, reason
            """, arguments: [run.id]) {
            let state: String = row["state"], platform: String = row["platform"], n: Int = row["n"]
            summary.targets += n
            summary.byState[state, default: 0] += n
            summary.byPlatform[platform, default: [:]][state, default: 0] += n
            summary.attempts += row["attempts"] as Int
            if let reason: String = row["reason"] { summary.byReason[reason, default: 0] += n }
            if state == DispatchState.rejected.rawValue { summary.rejected += n }
        }
        summary.accepted = summary.targets - summary.rejected
        let window = try Row.fetchOne(db, sql: """
            SELECT (julianday(max(finished_at)) - julianday(min(first_sent_at))) * 86400.0 AS elapsed,
                   count(finished_at) AS done
            FROM dispatches WHERE run_id = ? AND first_sent_at IS NOT NULL
            """, arguments: [run.id])
        if let elapsed: Double = window?["elapsed"] {
            summary.elapsedSeconds = elapsed
            let done: Int = window?["done"] ?? 0
            summary.throughputPerSecond = elapsed > 0 ? Double(done) / elapsed : nil
        }
        let latencies = try Int.fetchOne(db, sql: """
            SELECT count(*) FROM dispatches WHERE run_id = ? AND state = 'succeeded' AND latency_ms IS NOT NULL
            """, arguments: [run.id]) ?? 0
        if latencies > 0 {
            func percentile(_ p: Double) throws -> Double? {
                try Double.fetchOne(db, sql: """
                    SELECT latency_ms FROM dispatches WHERE run_id = ? AND state = 'succeeded' AND latency_ms IS NOT NULL
                    ORDER BY latency_ms LIMIT 1 OFFSET ?
                    """, arguments: [run.id, min(latencies - 1, Int((Double(latencies) * p).rounded(.up)) - 1)])
            }
            summary.latencyP50Ms = try percentile(0.5)
            summary.latencyP95Ms = try percentile(0.95)
            summary.latencyMaxMs = try percentile(1.0)
        }
        return summary
    }

    /// Every element of a run, in plan order.
    public static func elements(of runID: String, _ db: Database, each: (ReportElement) throws -> Void) throws {
        let rows = try Row.fetchCursor(db, sql: "SELECT * FROM dispatches WHERE run_id = ? ORDER BY seq", arguments: [runID])
        while let row = try rows.next() {
            let reason = (row["reason"] as String?).flatMap(ReasonCode.init(rawValue:))
            let state = DispatchState(rawValue: row["state"]) ?? .planned
            let warnings = (row["warnings"] as String?)?.split(separator: ",").compactMap { Warning(rawValue: String($0)) } ?? []
            let verdict = Verdict(reason: state == .rejected ? reason : nil, warnings: warnings,
                                  temporaryPasscode: row["temporary_passcode"], detail: row["detail"])
            var item = PlanItem(line: row["line"], requestID: row["request_id"], action: row["action"], target: row["target"],
                                deviceID: row["device_id"], platform: row["platform"], verdict: verdict,
                                requestedBy: row["requested_by"], justification: row["justification"], ticket: row["ticket"])
            if state == .skipped { item.verdict.reason = nil }
            try each(ReportElement(item: item, state: state, attempts: row["attempts"], lastError: row["last_error"],
                                   channel: row["channel"], queuedAt: row["queued_at"], firstSentAt: row["first_sent_at"],
                                   finishedAt: row["finished_at"], latencyMs: row["latency_ms"]))
        }
    }
}

/// The run report as JSON (DESIGN.md: the plan element shape plus state, attempts,
/// last_error and timestamps; a summary by state, platform and reason, and figures).
public enum RunReportJSON {
    public static func header(_ run: RunRecord) -> String {
        "{\"run_id\": \(JSONText.quote(run.id)), \"state\": \(JSONText.quote(run.state)), \"batch\": \(JSONText.quote(run.batchName)), "
            + "\"batch_sha256\": \(JSONText.quote(run.batchSHA256)), \"actor\": \(JSONText.quote(run.actor)), "
            + "\"started_at\": \(JSONText.quote(run.startedAt)), \"finished_at\": \(JSONText.quote(run.finishedAt)), "
            + "\"options\": \(run.options), \"requests\": ["
    }

    public static func element(_ element: ReportElement) -> String {
        var base = PlanJSON.element(element.item)
        base.removeLast()  // the closing brace
        if element.state == .skipped {
            base = base.replacingOccurrences(of: "\"reason\": null", with: "\"reason\": \"already_done\"")
        }
        return base + ", \"state\": \"\(element.state.rawValue)\", \"attempts\": \(element.attempts), "
            + "\"last_error\": \(JSONText.quote(element.lastError)), \"channel\": \(JSONText.quote(element.channel)), "
            + "\"queued_at\": \(JSONText.quote(element.queuedAt)), \"first_sent_at\": \(JSONText.quote(element.firstSentAt)), "
            + "\"finished_at\": \(JSONText.quote(element.finishedAt)), \"latency_ms\": \(number(element.latencyMs))}"
    }

    public static func summary(_ s: RunSummary) -> String {
        func counts(_ table: [String: Int]) -> String {
            "{" + table.sorted { $0.key < $1.key }.map { "\(JSONText.quote($0.key)): \($0.value)" }.joined(separator: ", ") + "}"
        }
        let platforms = s.byPlatform.sorted { $0.key < $1.key }.map { "\(JSONText.quote($0.key)): \(counts($0.value))" }
        return "{\"requests\": \(s.requests), \"targets\": \(s.targets), \"accepted\": \(s.accepted), \"rejected\": \(s.rejected), "
            + "\"by_state\": \(counts(s.byState)), \"by_platform\": {\(platforms.joined(separator: ", "))}, "
            + "\"by_reason\": \(counts(s.byReason)), \"attempts\": \(s.attempts), "
            + "\"elapsed_s\": \(number(s.elapsedSeconds)), \"throughput_per_s\": \(number(s.throughputPerSecond)), "
            + "\"latency_ms\": {\"p50\": \(number(s.latencyP50Ms)), \"p95\": \(number(s.latencyP95Ms)), \"max\": \(number(s.latencyMaxMs))}}"
    }

    static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "null" }
        return String((value * 1000).rounded() / 1000)
    }

    /// The whole report, written piece by piece to `write`.
    public static func write(run: RunRecord, summary: RunSummary, db: Database, to write: (String) throws -> Void) throws {
        try write(header(run))
        var first = true
        try RunReports.elements(of: run.id, db) { element in
            try write((first ? "\n  " : ",\n  ") + self.element(element))
            first = false
        }
        try write("\n ],\n \"summary\": " + self.summary(summary) + "}\n")
    }
}

/// The run report for people.
public enum RunReportText {
    public static func summary(_ run: RunRecord, _ s: RunSummary) -> String {
        func list(_ table: [String: Int]) -> String {
            table.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
        var lines = ["run \(run.id) (\(run.state)) — batch \(run.batchName)",
                     "  \(s.requests) requests, \(s.targets) targets: \(s.accepted) accepted, \(s.rejected) rejected"]
        let order: [DispatchState] = [.succeeded, .failed, .unknownOutcome, .skipped, .rejected, .queued, .retryWait, .sending]
        lines.append("  " + order.filter { s.count($0) > 0 || [.succeeded, .failed, .unknownOutcome].contains($0) }
            .map { "\($0.rawValue) \(s.count($0))" }.joined(separator: " · "))
        if !s.byPlatform.isEmpty {
            lines.append("  by platform: " + s.byPlatform.sorted { $0.key < $1.key }.map { platform, states in
                "\(platform) (\(list(states)))"
            }.joined(separator: "; "))
        }
        if !s.byReason.isEmpty { lines.append("  by reason: " + list(s.byReason)) }
        var figures: [String] = []
        if let elapsed = s.elapsedSeconds { figures.append(String(format: "elapsed %.2f s", elapsed)) }
        if let rate = s.throughputPerSecond { figures.append(String(format: "%.1f dispatches/s", rate)) }
        if let p50 = s.latencyP50Ms, let p95 = s.latencyP95Ms { figures.append(String(format: "latency p50 %.1f ms, p95 %.1f ms", p50, p95)) }
        figures.append("\(s.attempts) attempts")
        lines.append("  " + figures.joined(separator: " · "))
        return lines.joined(separator: "\n")
    }

    /// Summary, then every (request, device) that did not succeed.
    public static func write(run: RunRecord, summary: RunSummary, db: Database, to write: (String) throws -> Void) throws {
        try write(self.summary(run, summary) + "\n")
        var header = false
        try RunReports.elements(of: run.id, db) { element in
            guard element.state != .succeeded else { return }
            if !header {
                try write("\nNot succeeded:\nLINE   REQUEST      ACTION          TARGET                     DEVICE         PLATFORM          STATE            REASON / LAST ERROR\n")
                header = true
            }
            func cell(_ text: String?, _ width: Int) -> String {
                let value = text ?? "-"
                return value.count > width ? String(value.prefix(width - 1)) + "…" : value + String(repeating: " ", count: width - value.count)
            }
            let reason = element.state == .skipped ? "already_done" : (element.item.verdict.reason?.rawValue ?? element.lastError ?? "")
            try write(cell(String(element.item.line), 6) + " " + cell(element.item.requestID, 12) + " " + cell(element.item.action, 15)
                + " " + cell(element.item.target, 26) + " " + cell(element.item.deviceID, 14) + " " + cell(element.item.platform, 17)
                + " " + cell(element.state.rawValue, 16) + " " + reason + "\n")
        }
    }
}
