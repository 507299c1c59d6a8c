import Foundation

/// One unit of dispatch work: a row of `dispatches` as the engine needs it.
struct DispatchJob: Sendable {
    var seq: Int64
    var line: Int
    var action: Action
    var deviceID: String
    /// The platform id under the run's rule set.
    var platform: PlatformID
    var management: Management?
    var key: String
    var attempts: Int
    var requestID: String?
    /// Who asked: the request's `requested_by`, else the run's actor.
    var actor: String
    /// The request's `reason` and `ticket`, for the audit rows.
    var justification: String?
    var ticket: String?
    var secret: SecretKind?
    var secretDelivered: Bool
    var firstSentAt: Date?
    /// When the current attempt went out (the row's `sending` commit comes before it).
    var sentAt: Date?
    /// The current attempt's id (Graph's `client-request-id`), chosen when it is claimed.
    var attemptID: String?
    /// When its last attempt went out, as recorded (seconds): where `--settle` counts from
    /// for an element read back from the database.
    var lastSentAt: Date?
    /// What the service last said the device did with it (confirmation).
    var deviceState: DeviceActionState?
    /// Sends that do not count toward `--max-attempts`: 429s, and probes of the circuit
    /// breaker that proved nothing was done.
    var uncountedAttempts = 0
    /// Questions about it (in `settle_wait`) that got no answer.
    var settleReads = 0

    /// The attempts that count toward `--max-attempts`.
    var countedAttempts: Int { attempts - uncountedAttempts }

    /// A command for the current attempt.
    func command(attempt: Int) -> DeviceCommand {
        DeviceCommand(idempotencyKey: key, action: action, deviceID: deviceID, platform: platform, management: management,
                      attempt: attempt, attemptID: attemptID ?? "", secret: secret)
    }
}

extension DispatchJob {
    /// The work a dispatch row gives the engine; nil for a row that holds none of ours (its
    /// action or platform unknown). `runActor`: who asked, when the request does not say.
    init?(_ record: DispatchRecord, management: Management?, runActor: String) {
        guard let action = record.action, let platform = PlatformID(rawValue: record.platform ?? "") else { return nil }
        func date(_ text: String?) -> Date? {
            text.flatMap(ISOTimestamp.epochSeconds).map { Date(timeIntervalSince1970: Double($0)) }
        }
        self.init(seq: record.seq, line: record.line, action: action, deviceID: record.deviceID ?? "", platform: platform,
                  management: management, key: record.idempotencyKey ?? "", attempts: record.attempts, requestID: record.requestID,
                  actor: record.requestedBy ?? runActor, justification: record.justification, ticket: record.ticket,
                  secret: record.secret, secretDelivered: record.secretDeliveredAt != nil, firstSentAt: date(record.firstSentAt),
                  lastSentAt: date(record.lastSentAt), deviceState: record.deviceState,
                  uncountedAttempts: record.uncountedAttempts, settleReads: record.settleReads)
    }
}

/// A state change of a dispatch, with the audit row that describes it.
enum LedgerEntry: Sendable {
    /// Committed before the call: attempt number `attempt` goes out.
    case sending(DispatchJob, attempt: Int, at: Date)
    /// The attempt failed and another follows after `delay`. `counted`: it counts toward
    /// `--max-attempts` (a 429, or a breaker's probe that proved nothing was done, does not).
    /// `failure`: what the service answered, kept on the element.
    case retryWait(DispatchJob, attempt: Int, error: String, delay: Double, counted: Bool = true, failure: TransportError? = nil,
                   at: Date)
    /// The attempt's answer proved nothing for an action that must not happen twice: the
    /// element waits to be asked about (`error`: the answer; `note`: why, when it was not a send).
    case settleWait(DispatchJob, attempt: Int, error: String?, note: String?, at: Date)
    /// A question about a `settle_wait` element that got no answer.
    case askedInVain(DispatchJob, error: String, at: Date)
    /// `secret`: the element's secret, to be handed to the secrets file with this commit
    /// (`SecretHandOver`; never stored). `failure`: what the service answered to a failed element.
    case finished(DispatchJob, state: DispatchState, attempt: Int, error: String?, channel: String?, effect: String?,
                  secret: SecretNotice?, failure: TransportError? = nil, at: Date)
    /// Back to the queue, with why: a lock found `sending` after a crash.
    case requeued(DispatchJob, note: String, at: Date)
    /// Claimed (`sending`) but the attempt never went out: back to the queue, the attempt
    /// not counted (the run is stopping; the service refused the sign-in or a permission).
    case unsent(DispatchJob, note: String, at: Date)
    /// What asking the service settled (a `finished` or `retryWait`): its audit row is a
    /// `dispatch_settled`, since no attempt of its own went out.
    indirect case settled(LedgerEntry)
}

extension LedgerEntry {
    /// The secret the entry hands to the secrets file, with the element's seq.
    var secretNotice: (seq: Int64, notice: SecretNotice)? {
        if case .finished(let job, _, _, _, _, _, let notice?, _, _) = self { return (job.seq, notice) }
        if case .settled(let inner) = self { return inner.secretNotice }
        return nil
    }

    /// When it happened.
    var at: Date {
        switch self {
        case .sending(_, _, let at), .retryWait(_, _, _, _, _, _, let at), .settleWait(_, _, _, _, let at),
             .askedInVain(_, _, let at), .finished(_, _, _, _, _, _, _, _, let at), .requeued(_, _, let at),
             .unsent(_, _, let at):
            at
        case .settled(let inner):
            inner.at
        }
    }

    var isSending: Bool {
        if case .sending = self { return true }
        return false
    }

    /// The final state it records, if any.
    var finalState: DispatchState? {
        if case .finished(_, let state, _, _, _, _, _, _, _) = self { return state }
        if case .settled(let inner) = self { return inner.finalState }
        return nil
    }
}

extension ServiceAnswerDetail {
    /// What the service said of a failed attempt, as the element keeps it and its audit row
    /// shows it: the status, the error code and the ids a support case needs.
    init(_ failure: TransportError?) {
        switch failure {
        case .permanent(let status, let code, _, let reference)?:
            self.init(status: status, code: code, reference: reference)
        case .throttled?:
            self.init(status: 429)
        default:
            self.init()
        }
    }
}
