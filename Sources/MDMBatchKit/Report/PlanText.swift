/// The plan for people: the header line; of each verdict and reason the first rows, and the
/// count of the rest (or, with `--all`, one line per element); then counts by reason.
public enum PlanText {
    /// The (verdict, reason) of a plan element: what the text lists the first rows of.
    public struct Group: Hashable, Sendable {
        public var verdict: PlanVerdict
        public var reason: ReasonCode?

        public init(_ item: PlanItem) {
            verdict = item.planVerdict
            reason = item.reason
        }

        /// `rejected · unknown_target`, `accepted`.
        public var name: String { verdict.rawValue + (reason.map { " · \($0.rawValue)" } ?? "") }

        /// What the rules refused first, then what an earlier run did, then what will be sent.
        var rank: Int {
            switch verdict {
            case .rejected: 0
            case .skipped: 1
            case .accepted: 2
            }
        }
    }

    /// Of each group of a plan, its count and its first `limit` elements in plan order: all
    /// the text keeps in memory, whatever the size of the batch.
    public struct FirstRows: Sendable {
        public let limit: Int
        private var groups: [Group: ListedGroup<Group, PlanItem>] = [:]

        public init(limit: Int) { self.limit = limit }

        public mutating func add(_ item: PlanItem) {
            let key = Group(item)
            groups[key, default: ListedGroup(key: key, count: 0)].count += 1
            if groups[key]!.rows.count < limit { groups[key]!.rows.append(item) }
        }

        /// The groups in the order the text shows them: by verdict, then the largest first.
        public var listed: [ListedGroup<Group, PlanItem>] {
            groups.values.sorted {
                ($0.key.rank, -$0.count, $0.key.reason?.rawValue ?? "") < ($1.key.rank, -$1.count, $1.key.reason?.rawValue ?? "")
            }
        }
    }

    /// The groups under the header: each one's name and count, its first rows, and what
    /// stands for the rest. `listAll` is the command that lists every element.
    public static func groups(_ rows: FirstRows, listAll: String) -> String {
        var lines: [String] = []
        for group in rows.listed {
            lines.append("")
            lines.append("\(group.key.name): \(group.count)")
            lines += group.rows.map(row)
            if group.rest > 0 { lines.append(more(group.rest, listAll: listAll)) }
        }
        return lines.joined(separator: "\n")
    }

    /// What stands for the rows of a group not shown.
    public static func more(_ rest: Int, listAll: String) -> String {
        "  … \(rest) more not shown; all of them: \(TerminalText.escaped(listAll)) (or --json)"
    }

    public static var header: String {
        cell("LINE", 6) + " " + cell("REQUEST", 12) + " " + cell("ACTION", 15) + " " + cell("TARGET", 26) + " "
            + cell("DEVICE", 14) + " " + cell("PLATFORM", 17) + " " + cell("VERDICT", 9) + " REASON / NOTES"
    }

    public static func row(_ item: PlanItem) -> String {
        var notes: [String] = []
        if let reason = item.reason { notes.append(reason.rawValue) }
        notes += item.verdict.warnings.map { "warning: \($0.rawValue)" }
        if let secret = item.secret { notes.append(secret.displayName) }
        if let detail = item.verdict.detail { notes.append("(\(TerminalText.escaped(detail)))") }
        return item.textColumns + " " + cell(item.planVerdict.rawValue, 9) + " " + notes.joined(separator: "; ")
    }

    /// The counts. `listAll`, when some rows were not shown, is the command that lists them all.
    public static func summary(_ plan: Plan, listAll: String? = nil) -> String {
        let s = plan.summary
        let secrets = s.secrets.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.value) \($0.key.displayName)\($0.value == 1 ? "" : "s")" }
        var lines = ["", "\(TerminalText.escaped(plan.batch.name)): \(s.requests) requests, \(s.targets) targets: "
                     + "\(s.accepted) accepted, \(s.rejected) rejected"
                     + (s.skipped > 0 ? ", \(s.skipped) skipped" : "")
                     + (secrets.isEmpty ? "" : " (will make \(secrets.joined(separator: " and ")))")]
        for (reason, count) in s.byReason.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
            lines.append("  \(cell(reason.rawValue, 28)) \(TerminalText.leftPadded(String(count), 6))   rule \(reason.rule(in: plan.rules))")
        }
        if let listAll {
            lines.append("Not every element is listed: \(TerminalText.escaped(listAll)) lists them all, --json with every field.")
        }
        if let unknown = s.byReason[.enrollmentUnknown] {
            lines.append(EnrollmentNotice.refused(unknown))
        }
        lines.append("Nothing was sent. Rule set \(plan.rules.name); earlier runs counted: those to \(plan.service); "
                     + "batch sha256 \(plan.batch.sha256)")
        return lines.joined(separator: "\n")
    }

    private static func cell(_ text: String?, _ width: Int) -> String { TerminalText.cell(text, width) }
}
