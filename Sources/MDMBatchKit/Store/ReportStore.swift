import Foundation
import GRDB

extension StoreReader {
    /// The counts and figures of a run: the one model behind the text, JSON and HTML reports.
    public func summary(of run: RunRecord) throws -> RunSummary {
        var summary = RunSummary()
        summary.requests = run.requests
        for row in try Row.fetchAll(db, sql: """
            SELECT state, platform, reason, count(*) AS n, sum(attempts) AS attempts
            FROM dispatches WHERE run_id = ? GROUP BY state, platform, reason
            """, arguments: [run.id]) {
            guard let state = DispatchState(rawValue: row["state"]) else { continue }
            let platform = (row["platform"] as String?).flatMap(PlatformResolution.init(storedValue:))
            let n: Int = row["n"]
            summary.targets += n
            summary.byState[state, default: 0] += n
            summary.byPlatform[platform, default: [:]][state, default: 0] += n
            summary.attempts += row["attempts"] as Int
            let reason = (row["reason"] as String?).flatMap(ReasonCode.init(rawValue:))
            if let reason { summary.byReason[reason, default: 0] += n }
            summary.byGroup[ElementGroup(state: state, reason: reason), default: 0] += n
        }
        summary.rejected = summary.count(.rejected)
        summary.accepted = summary.targets - summary.rejected
        summary.byDeviceState = try deviceStateCounts(runID: run.id)
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

    /// Every element of a run, in plan order; with `states`, only those.
    public func forEachElement(of runID: String, states: [DispatchState]? = nil, each: (ReportElement) throws -> Void) throws {
        let filter = states.map { " AND state IN (\(Self.list($0)))" } ?? ""
        let rows = try Row.fetchCursor(db, sql: "SELECT * FROM dispatches WHERE run_id = ?\(filter) ORDER BY seq", arguments: [runID])
        while let row = try rows.next() { try each(Self.element(row)) }
    }

    /// The elements of a run in one state, in plan order, until `each` returns false: read
    /// through the `(run_id, state, seq)` index, so that the first rows of a state come at
    /// once however many rows the run has.
    public func forEachElement(of runID: String, in state: DispatchState, each: (ReportElement) throws -> Bool) throws {
        // Left to itself (no ANALYZE), SQLite scans the primary key (run_id, seq) for its order
        // and filters on state: 1.7 s to find the failed rows of a million-row run, 5 ms by the index.
        let rows = try Row.fetchCursor(db, sql: """
            SELECT * FROM dispatches INDEXED BY dispatches_work WHERE run_id = ? AND state = ? ORDER BY seq
            """, arguments: [runID, state.rawValue])
        while let row = try rows.next() {
            guard try each(Self.element(row)) else { return }
        }
    }

    /// The succeeded elements of a run in one device state (nil: never confirmed), in plan
    /// order, until `each` returns false; through the `(run_id, state, seq)` index.
    public func forEachSentElement(of runID: String, deviceState: DeviceActionState?, each: (ReportElement) throws -> Bool) throws {
        let rows = try Row.fetchCursor(db, sql: """
            SELECT * FROM dispatches INDEXED BY dispatches_work
            WHERE run_id = ? AND state = 'succeeded' AND device_state IS ? ORDER BY seq
            """, arguments: [runID, deviceState?.rawValue])
        while let row = try rows.next() {
            guard try each(Self.element(row)) else { return }
        }
    }

    private static func element(_ row: Row) -> ReportElement {
        ReportElement(DispatchRecord(row: row))
    }

    /// The time line of `dispatchSpans`: its first send, its last end (an outcome, or a send
    /// when a clock went back) and the largest latency of a succeeded element, so that the
    /// charts can bucket the spans as they stream instead of holding them all.
    public func dispatchWindow(of runID: String) throws -> (start: Double, end: Double, maxSucceededLatencyMs: Double?)? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT min(julianday(first_sent_at) * 86400.0),
                   max(max(julianday(first_sent_at) * 86400.0, julianday(finished_at) * 86400.0)),
                   max(CASE WHEN state = 'succeeded' THEN latency_ms END)
            FROM dispatches WHERE run_id = ? AND first_sent_at IS NOT NULL AND finished_at IS NOT NULL
            """, arguments: [runID]), let start = row[0] as Double?, let end = row[1] as Double? else { return nil }
        return (start, end, row[2] as Double?)
    }

    /// Each sent element's span from first send to outcome, in seconds on one time line, with
    /// its state and latency: what the dispatch timeline and latency histogram draw.
    public func dispatchSpans(of runID: String, each: (_ start: Double, _ end: Double, _ state: DispatchState, _ latencyMs: Double?) throws -> Void) throws {
        let rows = try Row.fetchCursor(db, sql: """
            SELECT julianday(first_sent_at) * 86400.0, julianday(finished_at) * 86400.0, latency_ms, state
            FROM dispatches WHERE run_id = ? AND first_sent_at IS NOT NULL AND finished_at IS NOT NULL
            """, arguments: [runID])
        while let row = try rows.next() {
            try each(row[0], row[1], DispatchState(rawValue: row[3]) ?? .planned, row[2])
        }
    }
}
