import Foundation

/// Turns a batch file into verdicts: the batch goes into temporary tables, targets are
/// resolved against the inventory in a few set-based statements (no query per request),
/// and the rules are applied to the joined rows as they stream out in line order.
/// Nothing is written to the database file.
public enum Planner {
    /// Plans `batchPath` for a run to `service` (what earlier runs of other services did
    /// does not count): calls `loaded` once the whole batch is read (its sha256 known),
    /// then `each` for every element, ordered by line then device id.
    public static func plan(
        batchPath: String, database: AppDatabase, rules: RuleSet, service: ServiceIdentity = .mock, now: Int64,
        limits: InputLimits = .standard, loaded: (BatchFileInfo) throws -> Void = { _ in }, each: (PlanItem) throws -> Void
    ) throws -> Plan {
        try database.withPlanTables { tables in
            let batch = try load(batchPath: batchPath, into: tables, limits: limits)
            try loaded(batch)
            let summary = try stream(tables, batch: batch, rules: rules, service: service, currentRun: nil, now: now, each: each)
            return Plan(batch: batch, rules: rules, service: service, summary: summary)
        }
    }

    /// Reads the batch into the plan tables and resolves its targets.
    static func load(batchPath: String, into tables: PlanTables, limits: InputLimits) throws -> BatchFileInfo {
        let batch: BatchFileInfo
        do {
            batch = try tables.load { insert in try BatchFile.read(path: batchPath, limits: limits, each: insert) }
        } catch let repeated as PlanTables.RepeatedRequestID {
            throw BatchError.malformed(
                SourceLocation(file: ByteSource.displayName(of: batchPath), line: repeated.line, column: repeated.column),
                "request_id \"\(TerminalText.escaped(repeated.requestID))\" repeats the one of line \(repeated.firstLine): "
                    + "a request_id names one request of a batch")
        }
        try tables.resolveTargets()
        return batch
    }

    /// The elements of a loaded batch, in order; returns their counts. `currentRun`, the
    /// run being planned (its own rows are no earlier run's).
    static func stream(_ tables: PlanTables, batch: BatchFileInfo, rules: RuleSet, service: ServiceIdentity, currentRun: String?,
                       now: Int64, each: (PlanItem) throws -> Void) throws -> PlanSummary {
        var summary = PlanSummary()
        var group: [ResolvedRequestRow] = []
        func flush() throws {
            guard let first = group.first else { return }
            var isFirst = true
            for item in items(for: group, first: first, rules: rules, now: now) {
                summary.add(item, newRequest: isFirst)
                isFirst = false
                try each(item)
            }
            group.removeAll(keepingCapacity: true)
        }
        // the facts check 7 of intune-2025 decides on, when the set has that check
        try tables.forEachResolved(batchSHA256: batch.sha256, service: service, currentRun: currentRun,
                                   macLocks: rules.unlockPINOutstandingDays != nil, rawOS: rules.naming != .stored) { row in
            if let first = group.first, first.line != row.line { try flush() }
            group.append(row)
        }
        try flush()
        return summary
    }

    /// The elements of one request (its rows share a line).
    private static func items(for rows: [ResolvedRequestRow], first: ResolvedRequestRow, rules: RuleSet, now: Int64) -> [PlanItem] {
        let action = first.action.flatMap(Action.init(rawValue:))
        var base = PlanItem(
            line: first.line, requestID: first.requestID, action: action, actionText: first.actionText,
            target: first.target, deviceID: nil, platform: nil, verdict: .rejected(.invalidRequest),
            requestedBy: first.requestedBy, justification: first.justification, ticket: first.ticket)
        guard first.valid else { return [base] }

        guard first.device != nil else {
            base.verdict = Evaluation.verdict(action: action, target: first.userExists ? .userWithoutDevices : .unknown,
                                              duplicate: false, rules: rules, now: now)
            return [base]
        }
        if (first.via == "serial" || first.via == "imei") && first.matchCount > 1 {
            base.verdict = Evaluation.verdict(action: action, target: .ambiguous(deviceIDs: rows.compactMap { $0.device?.deviceID }),
                                              duplicate: false, rules: rules, now: now)
            return [base]
        }
        return rows.compactMap { row in
            guard let facts = row.device else { return nil }
            var item = base
            item.deviceID = facts.deviceID
            item.platform = rules.platform(of: facts)
            item.verdict = Evaluation.verdict(action: action, target: .device(facts),
                                              duplicate: (row.occurrence ?? 1) > 1, rules: rules, now: now)
            // done (or left unknown) by an earlier run: not evaluated further, unless checks 1–3 refuse it
            item.skip = row.earlier.skip(after: item.verdict)
            return item
        }
    }
}
