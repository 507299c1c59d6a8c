import Foundation

/// The entry point of `plan`: plans a batch (DryRun) and writes the plan as text or JSON,
/// piece by piece, as its elements stream.
public enum PlanReports {
    /// Writes the plan of the batch at `batchPath` to `write` and returns it. JSON lists every
    /// element; the text lists `rows` of them (with `.all`, one line per element as they come).
    public static func write(batchPath: String, database: AppDatabase, rules: RuleSet, service: ServiceIdentity = .mock,
                             actor: String, now: Date, limits: InputLimits = .standard, json: Bool, rows: ReportRows = .standard,
                             to write: (String) throws -> Void) throws -> Plan {
        func dryRun(loaded: (BatchFileInfo) throws -> Void, each: (PlanItem) throws -> Void) throws -> Plan {
            try DryRun.run(batchPath: batchPath, database: database, rules: rules, service: service, actor: actor, now: now,
                           limits: limits, loaded: loaded, each: each)
        }
        if json {
            var first = true
            let plan = try dryRun(loaded: { try write(PlanJSON.header($0, rules: rules)) }, each: { item in
                try write((first ? "\n  " : ",\n  ") + PlanJSON.element(item))
                first = false
            })
            try write("\n ],\n \"summary\": " + PlanJSON.summary(plan.summary) + "}\n")
            return plan
        }
        guard case .first(let limit) = rows else {
            let plan = try dryRun(loaded: { _ in try write(PlanText.header + "\n") }, each: { try write(PlanText.row($0) + "\n") })
            try write(PlanText.summary(plan) + "\n")
            return plan
        }
        var listed = PlanText.FirstRows(limit: limit)
        let plan = try dryRun(loaded: { _ in try write(PlanText.header + "\n") }, each: { listed.add($0) })
        let listAll = allCommand(batchPath: batchPath, rules: rules)
        let cut = listed.listed.contains { $0.rest > 0 }
        try write(PlanText.groups(listed, listAll: listAll) + "\n")
        try write(PlanText.summary(plan, listAll: cut ? listAll : nil) + "\n")
        return plan
    }

    /// `mdmbatch plan BATCH [--rules NAME] --all`, the batch as typed (quoted for a shell).
    static func allCommand(batchPath: String, rules: RuleSet) -> String {
        "mdmbatch plan \(ShellWord.quoted(batchPath))" + (rules.name == RuleSet.default.name ? "" : " --rules \(rules.name)") + " --all"
    }
}
