import Foundation

/// One (request, device) of a run report: what the plan said of it and what became of it,
/// as read back from its row.
public struct ReportElement: PlannedElement, Sendable, Equatable {
    public var line: Int
    public var requestID: String?
    public var actionName: String
    public var target: String
    public var deviceID: String?
    public var platform: PlatformResolution?
    public var requestedBy: String?
    public var ticket: String?
    /// Why the request was made, as the batch says (its `reason` column).
    public var justification: String?
    public var planVerdict: PlanVerdict
    public var warnings: [Warning]
    /// The secret it makes when sent; nil unless accepted.
    public var secret: SecretKind?
    public var detail: String?
    public var state: DispatchState
    /// Why it was rejected or skipped.
    public var reason: ReasonCode?
    public var attempts: Int
    public var lastError: String?
    public var channel: String?
    public var queuedAt: String?
    public var firstSentAt: String?
    public var finishedAt: String?
    public var latencyMs: Double?
    /// What the service last said the device did with the action, and when it was asked.
    public var deviceState: DeviceActionState?
    public var deviceStateAt: String?
    /// Its secret went into a secrets file (never the secret itself).
    public var secretDelivered: Bool
    /// What the service said of its last failed attempt, and the ids of that attempt.
    public var service: ServiceAnswerDetail

    /// What a reader wants to know of an element that did not succeed: its reason code, else its last error.
    public var why: String { reason?.rawValue ?? lastError ?? "" }
}
