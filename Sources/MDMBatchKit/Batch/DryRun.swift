import Foundation

/// `plan`: the verdict for every request of a batch, streamed, and one audit row saying
/// who planned which batch (sha256) with what counts. Nothing is sent.
public enum DryRun {
    public static func run(batchPath: String, database: AppDatabase, rules: RuleSet, service: ServiceIdentity = .mock, actor: String,
                           now: Date, limits: InputLimits = .standard,
                           loaded: (BatchFileInfo) throws -> Void = { _ in }, each: (PlanItem) throws -> Void) throws -> Plan {
        let plan = try Planner.plan(batchPath: batchPath, database: database, rules: rules, service: service,
                                    now: Int64(now.timeIntervalSince1970), limits: limits, loaded: loaded, each: each)
        try database.write { store in
            try store.appendAudit(.planned(plan, actor: actor), at: now, checkpoint: .whenSignable)
        }
        return plan
    }
}
