import Foundation
import GRDB
import GRDBSQLite

extension StoreWriter {
    /// Applies dispatch state changes of `runID`, each with its audit row, in this
    /// transaction. Every change names the states its row may come from (the table of
    /// `DispatchState.transitions`); a row in another state is an error, not a silent no-op.
    /// `midway` is called once, half the entries applied (a crash point of the tests).
    func applyDispatchChanges(_ entries: [LedgerEntry], runID: String, at midway: () -> Void = {}) throws {
        var audit = try auditAppender()
        func guarded(_ target: DispatchState...) -> String {
            "state IN (\(StoreReader.list(target.flatMap(DispatchState.sources(of:)))))"
        }
        let sending = try RawStatement(cached: db, sql: """
            UPDATE dispatches SET state = 'sending', attempts = ?3, last_sent_at = ?4, first_sent_at = coalesce(first_sent_at, ?4)
            WHERE run_id = ?1 AND seq = ?2 AND \(guarded(.sending))
            """)
        // one statement per final state, each guarded by the states that may reach it;
        // ?7: when the attempt really went out (its `sending` was committed a little before)
        var finished: [DispatchState: RawStatement] = [:]
        for state in [DispatchState.succeeded, .failed, .unknownOutcome] {
            finished[state] = try RawStatement(cached: db, sql: """
                UPDATE dispatches SET state = ?3, last_error = ?4, channel = coalesce(?5, channel), finished_at = ?6,
                    last_sent_at = coalesce(?7, last_sent_at),
                    first_sent_at = CASE WHEN attempts = 1 AND ?7 IS NOT NULL THEN ?7 ELSE first_sent_at END,
                    latency_ms = (julianday(?6) - julianday(CASE WHEN attempts = 1 AND ?7 IS NOT NULL THEN ?7 ELSE first_sent_at END))
                                 * 86400000.0,
                    secret_delivered_at = coalesce(secret_delivered_at, ?8)
                WHERE run_id = ?1 AND seq = ?2 AND \(guarded(state))
                """)
        }
        let waiting = try RawStatement(cached: db, sql: """
            UPDATE dispatches SET state = 'retry_wait', last_error = ?3, last_sent_at = coalesce(?4, last_sent_at),
                first_sent_at = CASE WHEN attempts = 1 AND ?4 IS NOT NULL THEN ?4 ELSE first_sent_at END
            WHERE run_id = ?1 AND seq = ?2 AND \(guarded(.retryWait))
            """)
        let requeued = try RawStatement(cached: db, sql: """
            UPDATE dispatches SET state = 'queued', finished_at = NULL WHERE run_id = ?1 AND seq = ?2 AND \(guarded(.queued))
            """)
        // sending → queued (first attempt) or retry_wait (a later one): the attempt never went out
        let unsent = try RawStatement(cached: db, sql: """
            UPDATE dispatches SET state = CASE WHEN attempts > 1 THEN 'retry_wait' ELSE 'queued' END, attempts = attempts - 1,
                first_sent_at = CASE WHEN attempts > 1 THEN first_sent_at END
            WHERE run_id = ?1 AND seq = ?2 AND state = 'sending'
            """)
        /// Binds run id, seq, then `values` from parameter `from` on, executes, and checks
        /// that exactly the one row moved.
        func execute(_ statement: RawStatement, _ job: DispatchJob, _ values: [String?], from first: Int32 = 3,
                     to target: String) throws {
            statement.bind(1, runID)
            statement.bind(2, job.seq)
            for (offset, value) in values.enumerated() { statement.bind(first + Int32(offset), value) }
            try statement.execute(db)
            guard sqlite3_changes(db.sqliteConnection) == 1 else {
                throw StoreError.illegalTransition(runID: runID, seq: job.seq, to: target)
            }
        }
        for (index, entry) in entries.enumerated() {
            if index == entries.count / 2 && index > 0 { midway() }
            switch entry {
            case .sending(let job, let attempt, let at):
                sending.bind(3, Int64(attempt))
                try execute(sending, job, [ISOTimestamp.formatMillis(at)], from: 4, to: "sending")
                var detail: [String: JSONValue] = ["attempt": .number(Double(attempt)), "idempotency_key": .string(job.key)]
                if let id = job.attemptID { detail["client_request_id"] = .string(id) }
                try audit.append(Self.event(job, runID, "dispatch_sending", outcome: "sending", detail: detail), at: at)
            case .retryWait(let job, let attempt, let error, let delay, let at):
                try execute(waiting, job, [error, job.sentAt.map(ISOTimestamp.formatMillis)], to: "retry_wait")
                try audit.append(Self.event(job, runID, "dispatch_attempt", outcome: "retry_wait", detail: [
                    "attempt": .number(Double(attempt)), "error": .string(error),
                    "retry_in_s": .number((delay * 1000).rounded() / 1000),
                ]), at: at)
            case .finished(let job, let state, let attempt, let error, let channel, let effect, let delivered, let at):
                guard let statement = finished[state] else { throw StoreError.illegalTransition(runID: runID, seq: job.seq, to: state.rawValue) }
                let time = ISOTimestamp.formatMillis(at)
                try execute(statement, job, [state.rawValue, error, channel, time, job.sentAt.map(ISOTimestamp.formatMillis),
                                             delivered ? time : nil], to: state.rawValue)
                var detail: [String: JSONValue] = ["attempt": .number(Double(attempt))]
                if let error { detail["error"] = .string(error) }
                if let channel { detail["channel"] = .string(channel) }
                if let effect { detail["effect"] = .string(effect) }
                if delivered, let secret = job.secret { detail["secret_delivered"] = .string(secret.rawValue) }
                try audit.append(Self.event(job, runID, "dispatch_attempt", outcome: state.rawValue, detail: detail), at: at)
            case .unsent(let job, let note, let at):
                try execute(unsent, job, [], to: "queued")
                try audit.append(Self.event(job, runID, "dispatch_unsent", outcome: "queued", detail: [
                    "note": .string(note), "idempotency_key": .string(job.key),
                ]), at: at)
            case .requeued(let job, let note, let at):
                try execute(requeued, job, [], to: "queued")
                try audit.append(Self.event(job, runID, "dispatch_recovered", outcome: "queued", detail: [
                    "note": .string(note), "idempotency_key": .string(job.key),
                ]), at: at)
            }
        }
    }

    /// The audit row of a dispatch change: who asked, the device and action, and the
    /// request's own id, reason and ticket, so that an export answers "why".
    private static func event(_ job: DispatchJob, _ runID: String, _ name: String, outcome: String,
                              detail: [String: JSONValue]) -> AuditEvent {
        var detail = detail
        if let id = job.requestID { detail["request_id"] = .string(id) }
        if let reason = job.justification { detail["request_reason"] = .string(reason) }
        if let ticket = job.ticket { detail["ticket"] = .string(ticket) }
        return AuditEvent(event: name, actor: job.actor, runID: runID, deviceID: job.deviceID, action: job.action.rawValue,
                          outcome: outcome, detail: detail)
    }
}
