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
    /// What the service last said the device did with it (confirmation).
    var deviceState: DeviceActionState?

    /// A command for the current attempt.
    func command(attempt: Int) -> DeviceCommand {
        DeviceCommand(idempotencyKey: key, action: action, deviceID: deviceID, platform: platform, management: management,
                      attempt: attempt, attemptID: attemptID ?? "", secret: secret)
    }
}

/// A state change of a dispatch, with the audit row that describes it.
enum LedgerEntry: Sendable {
    /// Committed before the call: attempt number `attempt` goes out.
    case sending(DispatchJob, attempt: Int, at: Date)
    case retryWait(DispatchJob, attempt: Int, error: String, delay: Double, at: Date)
    /// `secretDelivered`: the element's secret went into the secrets file (made durable
    /// before this commit).
    case finished(DispatchJob, state: DispatchState, attempt: Int, error: String?, channel: String?, effect: String?,
                  secretDelivered: Bool, at: Date)
    /// Back to the queue, with why: a lock found `sending` after a crash, or an action the
    /// service never received.
    case requeued(DispatchJob, note: String, at: Date)
    /// Claimed (`sending`) but the attempt never took effect: back to the queue, the attempt
    /// not counted (the run is stopping; a breaker's probe failed; the service refused).
    case unsent(DispatchJob, note: String, at: Date)
}

extension LedgerEntry {
    /// The entry records a secret handed to the secrets file: the file must be durable first.
    var deliversSecret: Bool {
        if case .finished(_, _, _, _, _, _, true, _) = self { return true }
        return false
    }

    var isSending: Bool {
        if case .sending = self { return true }
        return false
    }
}
