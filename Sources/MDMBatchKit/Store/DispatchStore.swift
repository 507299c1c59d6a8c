import Foundation
import GRDB
import GRDBSQLite

extension StoreWriter {
    /// Applies dispatch state changes of `runID`, each with its audit row, in this
    /// transaction. Every change names the states its row may come from (the table of
    /// `DispatchState.transitions`); a row in another state is an error, not a silent no-op.
    /// `secrets` says what becomes of the secrets the entries carry (claimed or delivered).
    /// `midway` is called once, half the entries applied (a crash point of the tests).
    func applyDispatchChanges(_ entries: [LedgerEntry], runID: String, secrets: SecretHandOver.Recording = .none,
                              at midway: () -> Void = {}) throws {
        var audit = try auditAppender()
        func guarded(_ target: DispatchState...) -> String {
            "state IN (\(StoreReader.list(target.flatMap(DispatchState.sources(of:)))))"
        }
        let sending = try RawStatement(cached: db, sql: """
            UPDATE dispatches SET state = 'sending', attempts = ?3, last_sent_at = ?4, first_sent_at = coalesce(first_sent_at, ?4),
                client_request_id = ?5
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
                    secret_delivered_at = coalesce(secret_delivered_at, ?8),
                    service_status = coalesce(?9, service_status), service_code = coalesce(?10, service_code),
                    operation_id = coalesce(?11, operation_id), service_request_id = coalesce(?12, service_request_id),
                    secret_claim_path = coalesce(?13, secret_claim_path), secret_claim_inode = coalesce(?14, secret_claim_inode)
                WHERE run_id = ?1 AND seq = ?2 AND \(guarded(state))
                """)
        }
        let waiting = try RawStatement(cached: db, sql: """
            UPDATE dispatches SET state = 'retry_wait', last_error = ?3, last_sent_at = coalesce(?4, last_sent_at),
                first_sent_at = CASE WHEN attempts = 1 AND ?4 IS NOT NULL THEN ?4 ELSE first_sent_at END,
                uncounted_attempts = uncounted_attempts + ?5, settle_reads = 0,
                service_status = coalesce(?6, service_status), service_code = coalesce(?7, service_code),
                operation_id = coalesce(?8, operation_id), service_request_id = coalesce(?9, service_request_id)
            WHERE run_id = ?1 AND seq = ?2 AND \(guarded(.retryWait))
            """)
        let settling = try RawStatement(cached: db, sql: """
            UPDATE dispatches SET state = 'settle_wait', last_error = coalesce(?3, last_error),
                last_sent_at = coalesce(?4, last_sent_at),
                first_sent_at = CASE WHEN attempts = 1 AND ?4 IS NOT NULL THEN ?4 ELSE first_sent_at END, settle_reads = 0
            WHERE run_id = ?1 AND seq = ?2 AND \(guarded(.settleWait))
            """)
        let askedInVain = try RawStatement(cached: db, sql: """
            UPDATE dispatches SET settle_reads = settle_reads + 1, last_error = ?3
            WHERE run_id = ?1 AND seq = ?2 AND state = 'settle_wait'
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
        // the row's change; its audit row is the entry's as a whole (`AuditEvent.dispatch`)
        func change(_ entry: LedgerEntry) throws {
            switch entry {
            case .settled(let inner):
                try change(inner)
            case .sending(let job, let attempt, let at):
                sending.bind(3, Int64(attempt))
                try execute(sending, job, [ISOTimestamp.formatMillis(at), job.attemptID], from: 4, to: "sending")
            case .retryWait(let job, _, let error, _, let counted, let failure, _):
                try execute(waiting, job, [error, job.sentAt.map(ISOTimestamp.formatMillis), counted ? "0" : "1"]
                                + ServiceAnswerDetail(failure).columns, to: "retry_wait")
            case .settleWait(let job, _, let error, _, _):
                try execute(settling, job, [error, job.sentAt.map(ISOTimestamp.formatMillis)], to: "settle_wait")
            case .askedInVain(let job, let error, _):
                try execute(askedInVain, job, [error], to: "settle_wait")
            case .finished(let job, let state, _, let error, let channel, _, let notice, let failure, let at):
                guard let statement = finished[state] else { throw StoreError.illegalTransition(runID: runID, seq: job.seq, to: state.rawValue) }
                let time = ISOTimestamp.formatMillis(at)
                let secret = notice != nil ? secrets.columns(at: time) : [nil, nil, nil]
                try execute(statement, job, [state.rawValue, error, channel, time, job.sentAt.map(ISOTimestamp.formatMillis),
                                             secret[0]] + ServiceAnswerDetail(failure).columns + secret[1...], to: state.rawValue)
            case .unsent(let job, _, _):
                try execute(unsent, job, [], to: "queued")
            case .requeued(let job, _, _):
                try execute(requeued, job, [], to: "queued")
            }
        }
        for (index, entry) in entries.enumerated() {
            if index == entries.count / 2 && index > 0 { midway() }
            try change(entry)
            let handedOver = entry.secretNotice != nil && secrets != .none
            if let event = AuditEvent.dispatch(entry, runID: runID, secretHandedOver: handedOver) {
                try audit.append(event, at: entry.at)
            }
        }
    }
}

extension ServiceAnswerDetail {
    /// As the element keeps it: `service_status`, `service_code`, `operation_id`,
    /// `service_request_id`, in that order of parameters.
    var columns: [String?] { [status.map(String.init), code, reference.operationID, reference.requestID] }
}
