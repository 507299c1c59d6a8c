import Foundation

/// Every audit event mdmbatch writes but those of dispatch (`AuditEvent.dispatch`), each
/// built from what a command did. The Store writes them as they are.
extension AuditEvent {
    static func imported(_ summary: ImportSummary, actor: String) -> AuditEvent {
        var detail: [String: JSONValue] = [
            "import_id": .number(Double(summary.importID)), "kind": .string(summary.kind.rawValue),
            "file": .string(summary.file), "format": .string(summary.format.rawValue),
            "sha256": .string(summary.sha256), "rows": .number(Double(summary.rows)),
            "inserted": .number(Double(summary.inserted)), "updated": .number(Double(summary.updated)),
            "unchanged": .number(Double(summary.unchanged)), "skipped": .number(Double(summary.skipped)),
        ]
        if let tenant = summary.tenant, !tenant.isOperator { detail["tenant"] = .string(tenant.text) }
        return AuditEvent(.import, actor: actor, outcome: .imported, detail: detail)
    }

    // MARK: the tenant registry

    static func tenantAdded(_ tenant: TenantRecord, actor: String) -> AuditEvent {
        AuditEvent(.tenantAdded, actor: actor, outcome: .registered, detail: [
            "tenant": .string(tenant.name.text), "tenant_id": .string(tenant.tenantID),
            "credentials": tenant.credentialsPath.map(JSONValue.string) ?? .null,
            "graph_url": tenant.endpoints.map { .string($0.graphURL) } ?? .null,
            "authority_url": tenant.endpoints.map { .string($0.authorityURL) } ?? .null,
            "rate": tenant.rate.map { .string($0.description) } ?? .null,
            "read_rate": tenant.readRate.map { .string($0.description) } ?? .null,
        ])
    }

    static func tenantRemoved(_ removal: TenantRemoval, actor: String) -> AuditEvent {
        AuditEvent(.tenantRemoved, actor: actor, outcome: .removed, detail: [
            "tenant": .string(removal.tenant.name.text), "tenant_id": .string(removal.tenant.tenantID),
            "devices_removed": .number(Double(removal.devicesRemoved)), "users_removed": .number(Double(removal.usersRemoved)),
        ])
    }

    static func planned(_ plan: Plan, actor: String) -> AuditEvent {
        AuditEvent(.plan, actor: actor, outcome: .planned, detail: [
            "batch": .string(plan.batch.name), "batch_sha256": .string(plan.batch.sha256), "rule_set": .string(plan.rules.name),
            "service": .string(plan.service.key),
            "requests": .number(Double(plan.summary.requests)), "targets": .number(Double(plan.summary.targets)),
            "accepted": .number(Double(plan.summary.accepted)), "rejected": .number(Double(plan.summary.rejected)),
            "skipped": .number(Double(plan.summary.skipped)),
        ])
    }

    static func exported(actor: String, filter: AuditExportFilter, format: AuditExportFormat, output: String, rows: Int,
                         sha256: String) -> AuditEvent {
        AuditEvent(.export, actor: actor, outcome: .exported, detail: [
            "filter": filter.json, "format": .string(format.rawValue), "output": .string(output),
            "rows": .number(Double(rows)), "sha256": .string(sha256),
        ])
    }

    static func checkpoint(actor: String, runID: String?, detail: [String: JSONValue]) -> AuditEvent {
        AuditEvent(.checkpoint, actor: actor, runID: runID, outcome: .sealed, detail: detail)
    }

    // MARK: runs

    static func runStarted(runID: String, actor: String, batch: BatchFileInfo, options: String, rules: RuleSet,
                           service: ServiceIdentity) -> AuditEvent {
        AuditEvent(.runStarted, actor: actor, runID: runID, outcome: .run(.running), detail: [
            "batch": .string(batch.name), "batch_sha256": .string(batch.sha256), "options": .string(options),
            "rule_set": .string(rules.name), "service": .string(service.key),
        ])
    }

    /// A run's rows refused (`rejected`) or left alone for what an earlier run did (`skipped`).
    static func notSent(_ item: PlanItem, state: DispatchState, reason: ReasonCode, runID: String, actor: String) -> AuditEvent {
        var detail: [String: JSONValue] = ["line": .number(Double(item.line)), "target": .string(item.target),
                                           "request_id": item.requestID.map(JSONValue.string) ?? .null,
                                           "detail": item.verdict.detail.map(JSONValue.string) ?? .null]
        if let why = item.justification { detail["request_reason"] = .string(why) }
        if let ticket = item.ticket { detail["ticket"] = .string(ticket) }
        return AuditEvent(state == .skipped ? .skipped : .rejected, actor: item.requestedBy ?? actor, runID: runID,
                          deviceID: item.deviceID, action: item.action.map(AuditAction.action) ?? .unrecognised(item.actionText),
                          outcome: .dispatch(state), reason: reason, detail: detail)
    }

    static func runPlanned(runID: String, actor: String, summary: PlanSummary) -> AuditEvent {
        AuditEvent(.runPlanned, actor: actor, runID: runID, outcome: .run(.running), detail: [
            "requests": .number(Double(summary.requests)), "targets": .number(Double(summary.targets)),
            "accepted": .number(Double(summary.accepted)), "rejected": .number(Double(summary.rejected)),
            "skipped": .number(Double(summary.skipped)),
        ])
    }

    /// A run taken up again: `resumed` (unfinished), or reopened for `--retry-unknown`.
    static func runResumed(runID: String, actor: String, reopened: Bool, batch: BatchFileInfo, remaining: Int,
                           transport: TransportSettings.Kind) -> AuditEvent {
        AuditEvent(reopened ? .runReopened : .runResumed, actor: actor, runID: runID, outcome: .run(.running), detail: [
            "batch": .string(batch.name), "batch_sha256": .string(batch.sha256), "remaining": .number(Double(remaining)),
            "transport": .string(transport.rawValue),
        ])
    }

    static func runEnded(runID: String, actor: String, state: RunState, counts: [DispatchState: Int]) -> AuditEvent {
        var byState: [String: JSONValue] = [:]
        for (state, count) in counts { byState[state.rawValue] = .number(Double(count)) }
        return AuditEvent(.runEnded(state), actor: actor, runID: runID, outcome: .run(state), detail: ["by_state": .object(byState)])
    }

    // MARK: confirmation

    /// What the service said one device did, asked by `actor`.
    static func confirmation(_ change: ConfirmationChange, runID: String, actor: String, secretHandedOver: Bool) -> AuditEvent {
        let job = change.job
        var detail: [String: JSONValue] = ["device_state": .string(change.state.rawValue)]
        if let at = change.serviceUpdatedAt { detail["service_updated_at"] = .string(ISOTimestamp.formatMillis(at)) }
        if secretHandedOver, let secret = job.secret { detail["secret_delivered"] = .string(secret.rawValue) }
        if let gone = change.secretGone { detail["note"] = .string(gone) }
        if let id = job.requestID { detail["request_id"] = .string(id) }
        if let ticket = job.ticket { detail["ticket"] = .string(ticket) }
        return AuditEvent(.confirmation, actor: actor, runID: runID, deviceID: job.deviceID, action: .action(job.action),
                          outcome: .device(change.state), detail: detail)
    }

    static func confirmed(runID: String, actor: String, outcome: Confirmation.Outcome, counts: [DeviceActionState?: Int]) -> AuditEvent {
        var byState: [String: JSONValue] = [:]
        for (state, count) in counts { byState[RunSummary.name(of: state)] = .number(Double(count)) }
        return AuditEvent(.confirmed, actor: actor, runID: runID, outcome: .confirmed(allDone: outcome.allDone), detail: [
            "by_device_state": .object(byState), "secrets_delivered": .number(Double(outcome.secretsDelivered)),
            "secrets_gone": .number(Double(outcome.secretsGone)),
        ])
    }
}
