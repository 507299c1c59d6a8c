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
        // `attempt`: the event of an attempt's outcome ("dispatch_attempt"), or of what asking the
        // service settled ("dispatch_settled": no send of its own, so one outcome row per attempt)
        func apply(_ entry: LedgerEntry, attempt attemptEvent: String) throws {
            switch entry {
            case .settled(let inner):
                try apply(inner, attempt: "dispatch_settled")
            case .sending(let job, let attempt, let at):
                sending.bind(3, Int64(attempt))
                try execute(sending, job, [ISOTimestamp.formatMillis(at), job.attemptID], from: 4, to: "sending")
                var detail: [String: JSONValue] = ["attempt": .number(Double(attempt)), "idempotency_key": .string(job.key)]
                if let id = job.attemptID { detail["client_request_id"] = .string(id) }
                try audit.append(Self.event(job, runID, "dispatch_sending", outcome: "sending", detail: detail), at: at)
            case .retryWait(let job, let attempt, let error, let delay, let counted, let failure, let at):
                let answer = ServiceAnswerColumns(failure)
                try execute(waiting, job, [error, job.sentAt.map(ISOTimestamp.formatMillis), counted ? "0" : "1"] + answer.values,
                            to: "retry_wait")
                var detail: [String: JSONValue] = [
                    "attempt": .number(Double(attempt)), "error": .string(error),
                    "retry_in_s": .number((delay * 1000).rounded() / 1000),
                ]
                if !counted { detail["counted"] = .bool(false) }
                answer.add(to: &detail, attemptID: job.attemptID)
                try audit.append(Self.event(job, runID, attemptEvent, outcome: "retry_wait", detail: detail), at: at)
            case .settleWait(let job, let attempt, let error, let note, let at):
                try execute(settling, job, [error, job.sentAt.map(ISOTimestamp.formatMillis)], to: "settle_wait")
                var detail: [String: JSONValue] = ["attempt": .number(Double(attempt))]
                if let error { detail["error"] = .string(error) }
                if let note { detail["note"] = .string(note) }
                if error != nil, let id = job.attemptID { detail["client_request_id"] = .string(id) }
                try audit.append(Self.event(job, runID, error != nil ? "dispatch_attempt" : "dispatch_recovered",
                                            outcome: "settle_wait", detail: detail), at: at)
            case .askedInVain(let job, let error, _):
                try execute(askedInVain, job, [error], to: "settle_wait")
            case .finished(let job, let state, let attempt, let error, let channel, let effect, let notice, let failure, let at):
                guard let statement = finished[state] else { throw StoreError.illegalTransition(runID: runID, seq: job.seq, to: state.rawValue) }
                let time = ISOTimestamp.formatMillis(at)
                let answer = ServiceAnswerColumns(failure)
                var secret: [String?] = [nil, nil, nil]
                switch (notice, secrets) {
                case (_?, .delivered): secret = [time, nil, nil]
                case (_?, .claimed(let claim)): secret = [nil, claim.path, String(claim.inode)]
                case (nil, _), (_, .none): break
                }
                let delivered = notice != nil && secrets != .none
                try execute(statement, job, [state.rawValue, error, channel, time, job.sentAt.map(ISOTimestamp.formatMillis),
                                             secret[0]] + answer.values + secret[1...], to: state.rawValue)
                var detail: [String: JSONValue] = ["attempt": .number(Double(attempt))]
                answer.add(to: &detail, attemptID: failure != nil ? job.attemptID : nil)
                if let error { detail["error"] = .string(error) }
                if let channel { detail["channel"] = .string(channel) }
                if let effect { detail["effect"] = .string(effect) }
                if delivered, let secret = job.secret { detail["secret_delivered"] = .string(secret.rawValue) }
                try audit.append(Self.event(job, runID, attemptEvent, outcome: state.rawValue, detail: detail), at: at)
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
        for (index, entry) in entries.enumerated() {
            if index == entries.count / 2 && index > 0 { midway() }
            try apply(entry, attempt: "dispatch_attempt")
        }
    }

    /// What the service said of a failed attempt, as the element keeps it: the status, the
    /// error code and the ids a support case needs (`service_status`, `service_code`,
    /// `operation_id`, `service_request_id`), in that order of parameters.
    private struct ServiceAnswerColumns {
        var status: Int?
        var code: String?
        var reference = ServiceReference()

        init(_ failure: TransportError?) {
            switch failure {
            case .permanent(let status, let code, _, let reference)?:
                self.status = status
                self.code = code
                self.reference = reference
            case .throttled?:
                status = 429
            default:
                break
            }
        }

        var values: [String?] { [status.map(String.init), code, reference.operationID, reference.requestID] }

        /// The same in an audit row, with the attempt's `client-request-id`.
        func add(to detail: inout [String: JSONValue], attemptID: String?) {
            if let status { detail["http_status"] = .number(Double(status)) }
            if let code { detail["service_code"] = .string(code) }
            if let id = reference.operationID { detail["operation_id"] = .string(id) }
            if let id = reference.requestID { detail["service_request_id"] = .string(id) }
            if let attemptID { detail["client_request_id"] = .string(attemptID) }
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
