import Foundation

/// The run report for people.
public enum RunReportText {
    public static func summary(_ run: RunRecord, _ s: RunSummary) -> String {
        func list<Key>(_ table: [Key: Int], _ name: (Key) -> String) -> String {
            table.map { (name($0.key), $0.value) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
                .map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        }
        var lines = ["run \(run.id) (\(run.state.rawValue)) — batch \(TerminalText.escaped(run.batchName)), rules \(run.ruleSet)",
                     "  \(s.requests) requests, \(s.targets) targets: \(s.accepted) accepted, \(s.rejected) rejected"]
        let order: [DispatchState] = [.succeeded, .failed, .unknownOutcome, .skipped, .rejected, .queued, .retryWait, .settleWait,
                                      .sending]
        lines.append("  " + order.filter { s.count($0) > 0 || [.succeeded, .failed, .unknownOutcome].contains($0) }
            .map { "\($0.rawValue) \(s.count($0))" }.joined(separator: " · "))
        if !s.byPlatform.isEmpty {
            lines.append("  by platform: " + s.platformsByName.map { "\($0.name) (\(list($0.states, \.rawValue)))" }.joined(separator: "; "))
        }
        if !s.byReason.isEmpty { lines.append("  by reason: " + list(s.byReason, \.rawValue)) }
        // accepted is not done: a 204 says the service took it, not that the device did it
        if let accepted = s.acceptedNotConfirmed {
            lines.append("  accepted by the service, not confirmed on the devices: \(accepted) — "
                         + "ask what they did with `mdmbatch confirm \(run.id)`")
        }
        // what the devices did, once somebody asked (`confirm`, `run --confirm`)
        if s.confirmed {
            lines.append("  on the devices: " + list(s.byDeviceState, RunSummary.label(of:)))
        }
        var figures: [String] = []
        if let elapsed = s.elapsedSeconds { figures.append(String(format: "elapsed %.2f s", elapsed)) }
        if let rate = s.throughputPerSecond { figures.append(String(format: "%.1f dispatches/s", rate)) }
        if let p50 = s.latencyP50Ms, let p95 = s.latencyP95Ms { figures.append(String(format: "latency p50 %.1f ms, p95 %.1f ms", p50, p95)) }
        figures.append("\(s.attempts) attempts")
        lines.append("  " + figures.joined(separator: " · "))
        return lines.joined(separator: "\n")
    }

    /// The column names of the rows below.
    public static let header = "LINE   REQUEST      ACTION          TARGET                     DEVICE         PLATFORM          STATE            REASON / LAST ERROR"

    /// One (request, device) that did not succeed.
    public static func row(_ element: ReportElement) -> String {
        element.textColumns + " " + TerminalText.cell(element.state.rawValue, 16) + " " + TerminalText.escaped(element.why)
            + request(element)
    }

    /// Who asked for the request, under which ticket and why, as far as the batch says: ` [ticket T; by U; why: R]`.
    static func request(_ element: ReportElement) -> String {
        let parts = [element.ticket.map { "ticket \($0)" }, element.requestedBy.map { "by \($0)" },
                     element.justification.map { "why: \($0)" }]
            .compactMap { $0.map(TerminalText.escaped) }
        return parts.isEmpty ? "" : " [" + parts.joined(separator: "; ") + "]"
    }

    /// What stands for the rows of a group not shown.
    public static func more(_ rest: Int, run: RunRecord) -> String {
        "  … \(rest) more not shown; all of them: \(NotSucceeded.allAsText(run)) (or --format json)"
    }

    /// Summary, then the (request, device) pairs that did not succeed: with `.all` every one
    /// in plan order; else of each (state, reason) the first rows, and the count of the rest.
    /// Then, of a confirmed run, the sent elements not done on their device.
    public static func write(run: RunRecord, summary: RunSummary, store: StoreReader, rows: ReportRows = .standard,
                             to write: (String) throws -> Void) throws {
        try write(self.summary(run, summary) + "\n")
        try notSucceeded(run: run, summary: summary, store: store, rows: rows, to: write)
        try write(NotDoneOnDevice.text(try NotDoneOnDevice.groups(of: run, summary, store, limit: rows.limit), run: run))
    }

    private static func notSucceeded(run: RunRecord, summary: RunSummary, store: StoreReader, rows: ReportRows,
                                     to write: (String) throws -> Void) throws {
        guard case .first(let limit) = rows else {
            var header = false
            try store.forEachElement(of: run.id) { element in
                guard element.state != .succeeded else { return }
                if !header {
                    try write("\nNot succeeded:\n" + self.header + "\n")
                    header = true
                }
                try write(row(element) + "\n")
            }
            return
        }
        let groups = try NotSucceeded.groups(of: run, summary, store, limit: limit)
        guard !groups.isEmpty else { return }
        let cut = groups.contains { $0.rest > 0 }
        try write("\nNot succeeded:" + (cut ? " \(NotSucceeded.total(summary)); of each state and reason the first \(limit) "
                                          + "(\(NotSucceeded.allAsText(run)) lists every one)" : "") + "\n" + header + "\n")
        for group in groups {
            try write("\n\(group.key.name): \(group.count)\n")
            for element in group.rows { try write(row(element) + "\n") }
            if group.rest > 0 { try write(more(group.rest, run: run) + "\n") }
        }
    }
}
