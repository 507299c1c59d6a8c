extension ReportElement {
    /// What a report shows of a dispatch row.
    init(_ record: DispatchRecord) {
        // a rejected or skipped row carries the reason the plan gave it; every other row was accepted
        let verdict: PlanVerdict = switch (record.state, record.reason) {
        case (.rejected, .some): .rejected
        case (.skipped, .some): .skipped
        default: .accepted
        }
        self.init(
            line: record.line, requestID: record.requestID, actionName: record.actionText, target: record.target,
            deviceID: record.deviceID, platform: record.platform.flatMap(PlatformResolution.init(storedValue:)),
            requestedBy: record.requestedBy, ticket: record.ticket, justification: record.justification, planVerdict: verdict,
            warnings: record.warnings, secret: verdict == .accepted ? record.secret : nil, detail: record.detail,
            state: record.state, reason: record.reason, attempts: record.attempts, lastError: record.lastError,
            channel: record.channel, queuedAt: record.queuedAt, firstSentAt: record.firstSentAt, finishedAt: record.finishedAt,
            latencyMs: record.latencyMs, deviceState: record.deviceState, deviceStateAt: record.deviceStateAt,
            secretDelivered: record.secretDeliveredAt != nil,
            service: ServiceAnswerDetail(status: record.serviceStatus, code: record.serviceCode,
                                         reference: ServiceReference(operationID: record.operationID,
                                                                     requestID: record.serviceRequestID,
                                                                     clientRequestID: record.clientRequestID)))
    }
}
