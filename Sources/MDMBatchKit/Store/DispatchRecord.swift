import Foundation
import GRDB

/// A row of `dispatches`, decoded in one place: what the engine's work (`DispatchJob`), the
/// reports (`ReportElement`) and confirmation map from.
public struct DispatchRecord: Sendable, Equatable {
    public var runID: String
    public var seq: Int64
    public var line: Int
    public var requestID: String?
    /// As the batch named it (a rejected request's may be no action of ours).
    public var actionText: String
    public var target: String
    public var deviceID: String?
    /// The stored platform resolution (`ios`, `unlisted`, …); nil without a device.
    public var platform: String?
    public var state: DispatchState
    public var reason: ReasonCode?
    public var detail: String?
    public var warnings: [Warning]
    public var requestedBy: String?
    public var justification: String?
    public var ticket: String?
    public var idempotencyKey: String?
    public var attempts: Int
    public var uncountedAttempts: Int
    public var settleReads: Int
    public var lastError: String?
    public var channel: String?
    public var queuedAt: String?
    public var firstSentAt: String?
    public var lastSentAt: String?
    public var finishedAt: String?
    public var latencyMs: Double?
    public var secret: SecretKind?
    public var secretDeliveredAt: String?
    public var deviceState: DeviceActionState?
    public var deviceStateAt: String?
    public var serviceStatus: Int?
    public var serviceCode: String?
    public var operationID: String?
    public var serviceRequestID: String?
    public var clientRequestID: String?

    public var action: Action? { Action(rawValue: actionText) }

    init(row: Row) {
        runID = row["run_id"]
        seq = row["seq"]
        line = row["line"]
        requestID = row["request_id"]
        actionText = row["action"]
        target = row["target"]
        deviceID = row["device_id"]
        platform = row["platform"]
        state = DispatchState(rawValue: row["state"]) ?? .planned
        reason = (row["reason"] as String?).flatMap(ReasonCode.init(rawValue:))
        detail = row["detail"]
        warnings = (row["warnings"] as String?)?.split(separator: ",").compactMap { Warning(rawValue: String($0)) } ?? []
        requestedBy = row["requested_by"]
        justification = row["justification"]
        ticket = row["ticket"]
        idempotencyKey = row["idempotency_key"]
        attempts = row["attempts"]
        uncountedAttempts = row["uncounted_attempts"]
        settleReads = row["settle_reads"]
        lastError = row["last_error"]
        channel = row["channel"]
        queuedAt = row["queued_at"]
        firstSentAt = row["first_sent_at"]
        lastSentAt = row["last_sent_at"]
        finishedAt = row["finished_at"]
        latencyMs = row["latency_ms"]
        secret = (row["secret"] as String?).flatMap(SecretKind.init(rawValue:))
        secretDeliveredAt = row["secret_delivered_at"]
        deviceState = (row["device_state"] as String?).flatMap(DeviceActionState.init(rawValue:))
        deviceStateAt = row["device_state_at"]
        serviceStatus = row["service_status"]
        serviceCode = row["service_code"]
        operationID = row["operation_id"]
        serviceRequestID = row["service_request_id"]
        clientRequestID = row["client_request_id"]
    }
}
