/// What an audit row records, by name: the one list of events (their names are what the
/// `event` column holds and what exports and filters show).
public enum AuditEventKind: String, Sendable, CaseIterable, Codable {
    case `import`
    case plan
    case export
    case checkpoint
    case runStarted = "run_started"
    case runPlanned = "run_planned"
    case runResumed = "run_resumed"
    case runReopened = "run_reopened"
    case runFinished = "run_finished"
    case runInterrupted = "run_interrupted"
    /// An element the rules refused (its `reason` says why).
    case rejected
    /// An element not sent for what an earlier run did (`already_done`, `unknown_earlier`).
    case skipped
    case dispatchSending = "dispatch_sending"
    case dispatchAttempt = "dispatch_attempt"
    /// What asking the service settled (no send of its own).
    case dispatchSettled = "dispatch_settled"
    case dispatchRecovered = "dispatch_recovered"
    case dispatchUnsent = "dispatch_unsent"
    /// What the service said one device did (confirm).
    case confirmation
    /// A confirm's end, with its counts.
    case confirmed
    /// A customer tenant registered (`tenant add`), in the operator's chain.
    case tenantAdded = "tenant_added"
    /// A customer tenant removed (`tenant remove`), in the operator's chain.
    case tenantRemoved = "tenant_removed"

    /// The row that records a run's end in `state`.
    static func runEnded(_ state: RunState) -> AuditEventKind { state == .finished ? .runFinished : .runInterrupted }
}

/// The action a row is about: one of ours, or the text a request named that is none.
public enum AuditAction: Sendable, Equatable {
    case action(Action)
    case unrecognised(String)

    public var text: String {
        switch self {
        case .action(let action): action.rawValue
        case .unrecognised(let text): text
        }
    }
}

/// How the thing a row records came out.
public enum AuditOutcome: Sendable, Equatable {
    /// An element's state.
    case dispatch(DispatchState)
    /// What the service said the device did.
    case device(DeviceActionState)
    /// A run's state.
    case run(RunState)
    /// A confirm's end: every sent element done on its device, or not.
    case confirmed(allDone: Bool)
    case imported
    case planned
    case exported
    case sealed
    case registered
    case removed

    public var text: String {
        switch self {
        case .dispatch(let state): state.rawValue
        case .device(let state): state.rawValue
        case .run(let state): state.rawValue
        case .confirmed(let allDone): allDone ? "done" : "open"
        case .imported: "succeeded"
        case .planned: "planned"
        case .exported: "exported"
        case .sealed: "sealed"
        case .registered: "registered"
        case .removed: "removed"
        }
    }
}

/// One event for the audit trail, built in `Audit/` from what a command did
/// (`AuditEvents`), written by the Store as it is.
public struct AuditEvent: Sendable, Equatable {
    public var kind: AuditEventKind
    public var actor: String
    public var runID: String?
    public var deviceID: String?
    public var action: AuditAction?
    public var outcome: AuditOutcome?
    public var reason: ReasonCode?
    public var detail: [String: JSONValue]

    public init(_ kind: AuditEventKind, actor: String, runID: String? = nil, deviceID: String? = nil, action: AuditAction? = nil,
                outcome: AuditOutcome? = nil, reason: ReasonCode? = nil, detail: [String: JSONValue] = [:]) {
        self.kind = kind
        self.actor = actor
        self.runID = runID
        self.deviceID = deviceID
        self.action = action
        self.outcome = outcome
        self.reason = reason
        self.detail = detail
    }

    /// The text columns of its row, as hashed: event, action, outcome, reason.
    var columns: (event: String, action: String?, outcome: String?, reason: String?) {
        (kind.rawValue, action?.text, outcome?.text, reason?.rawValue)
    }
}
