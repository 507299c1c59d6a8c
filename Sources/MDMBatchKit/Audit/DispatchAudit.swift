import Foundation

extension AuditEvent {
    /// The audit row of a dispatch change: who asked, the device and action, what happened,
    /// and the request's own id, reason and ticket, so that an export answers "why". nil for
    /// a question about an element that got no answer (no row). `secretHandedOver`: its
    /// secret goes to the secrets file with this change.
    static func dispatch(_ entry: LedgerEntry, runID: String, secretHandedOver: Bool) -> AuditEvent? {
        dispatch(entry, runID: runID, attempt: .dispatchAttempt, secretHandedOver: secretHandedOver)
    }

    /// `attempt`: the event of an attempt's outcome, or of what asking the service settled
    /// (`dispatch_settled`: no send of its own, so one outcome row per attempt).
    private static func dispatch(_ entry: LedgerEntry, runID: String, attempt attemptKind: AuditEventKind,
                                 secretHandedOver: Bool) -> AuditEvent? {
        func event(_ job: DispatchJob, _ kind: AuditEventKind, _ state: DispatchState, _ detail: [String: JSONValue]) -> AuditEvent {
            var detail = detail
            if let id = job.requestID { detail["request_id"] = .string(id) }
            if let reason = job.justification { detail["request_reason"] = .string(reason) }
            if let ticket = job.ticket { detail["ticket"] = .string(ticket) }
            return AuditEvent(kind, actor: job.actor, runID: runID, deviceID: job.deviceID, action: .action(job.action),
                              outcome: .dispatch(state), detail: detail)
        }
        switch entry {
        case .settled(let inner):
            return dispatch(inner, runID: runID, attempt: .dispatchSettled, secretHandedOver: secretHandedOver)
        case .sending(let job, let attempt, _):
            var detail: [String: JSONValue] = ["attempt": .number(Double(attempt)), "idempotency_key": .string(job.key)]
            if let id = job.attemptID { detail["client_request_id"] = .string(id) }
            return event(job, .dispatchSending, .sending, detail)
        case .retryWait(let job, let attempt, let error, let delay, let counted, let failure, _):
            var detail: [String: JSONValue] = [
                "attempt": .number(Double(attempt)), "error": .string(error), "retry_in_s": .number((delay * 1000).rounded() / 1000),
            ]
            if !counted { detail["counted"] = .bool(false) }
            ServiceAnswerDetail(failure).add(to: &detail, attemptID: job.attemptID)
            return event(job, attemptKind, .retryWait, detail)
        case .settleWait(let job, let attempt, let error, let note, _):
            var detail: [String: JSONValue] = ["attempt": .number(Double(attempt))]
            if let error { detail["error"] = .string(error) }
            if let note { detail["note"] = .string(note) }
            if error != nil, let id = job.attemptID { detail["client_request_id"] = .string(id) }
            return event(job, error != nil ? .dispatchAttempt : .dispatchRecovered, .settleWait, detail)
        case .askedInVain:
            return nil
        case .finished(let job, let state, let attempt, let error, let channel, let effect, _, let failure, _):
            var detail: [String: JSONValue] = ["attempt": .number(Double(attempt))]
            ServiceAnswerDetail(failure).add(to: &detail, attemptID: failure != nil ? job.attemptID : nil)
            if let error { detail["error"] = .string(error) }
            if let channel { detail["channel"] = .string(channel) }
            if let effect { detail["effect"] = .string(effect) }
            if secretHandedOver, let secret = job.secret { detail["secret_delivered"] = .string(secret.rawValue) }
            return event(job, attemptKind, state, detail)
        case .unsent(let job, let note, _):
            return event(job, .dispatchUnsent, .queued, ["note": .string(note), "idempotency_key": .string(job.key)])
        case .requeued(let job, let note, _):
            return event(job, .dispatchRecovered, .queued, ["note": .string(note), "idempotency_key": .string(job.key)])
        }
    }
}

extension ServiceAnswerDetail {
    /// What the service said, in an audit row, with the attempt's `client-request-id`.
    func add(to detail: inout [String: JSONValue], attemptID: String?) {
        if let status { detail["http_status"] = .number(Double(status)) }
        if let code { detail["service_code"] = .string(code) }
        if let id = reference.operationID { detail["operation_id"] = .string(id) }
        if let id = reference.requestID { detail["service_request_id"] = .string(id) }
        if let attemptID { detail["client_request_id"] = .string(attemptID) }
    }
}
