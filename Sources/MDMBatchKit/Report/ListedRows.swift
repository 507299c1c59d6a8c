/// How many rows a report for people lists. JSON always lists every element.
public enum ReportRows: Sendable, Equatable {
    /// Of each group — (state, reason) in a run report, (verdict, reason) in a plan — the
    /// first `n` rows in plan order, then the count of the rest and the command that lists them all.
    case first(Int)
    /// Every row (`--all`), as one list in plan order.
    case all

    /// What `report` and `plan` list unless asked for `--all`: a million-row run stays a page.
    public static let standard = ReportRows.first(100)

    /// The rows listed of each group; nil: every one.
    public var limit: Int? {
        if case .first(let n) = self { n } else { nil }
    }
}

/// One group of a long list as a report shows it: its count and its first rows. All a
/// report keeps in memory is one of these per group, whatever the length of the list.
public struct ListedGroup<Key: Hashable, Row> {
    public var key: Key
    public var count: Int
    public var rows: [Row] = []

    /// The rows of the group not shown.
    public var rest: Int { count - rows.count }
}

extension ListedGroup: Sendable where Key: Sendable, Row: Sendable {}

/// The (state, reason) of an element of a run: the groups of `RunSummary.byGroup` and of
/// the lists of the text and HTML reports. `reason` is nil for `failed`, `unknown_outcome`
/// and the open states.
public struct ElementGroup: Hashable, Sendable {
    public var state: DispatchState
    public var reason: ReasonCode?

    public init(state: DispatchState, reason: ReasonCode?) {
        self.state = state
        self.reason = reason
    }

    /// `rejected · unknown_target`, `failed`.
    public var name: String { state.rawValue + (reason.map { " · \($0.rawValue)" } ?? "") }

    /// `rejected-unknown_target`, `failed`: for an HTML id.
    var slug: String { state.rawValue + (reason.map { "-\($0.rawValue)" } ?? "") }
}

/// The elements of a run that did not succeed, as the text and HTML reports list them.
enum NotSucceeded {
    /// What went wrong in sending first, then what the rules refused, then what was not sent
    /// for an earlier run, then what is still open.
    static let states: [DispatchState] = [.failed, .unknownOutcome, .rejected, .skipped, .settleWait, .retryWait, .queued, .sending,
                                          .planned]

    /// The groups of `summary` that did not succeed, in `states` order and within a state the
    /// largest first, each with its first `limit` elements in plan order. Each state is read
    /// through the `(run_id, state, seq)` index and no further than the last row it needs.
    static func groups(of run: RunRecord, _ summary: RunSummary, _ store: StoreReader,
                       limit: Int) throws -> [ListedGroup<ElementGroup, ReportElement>] {
        var listed: [ListedGroup<ElementGroup, ReportElement>] = []
        for state in states {
            var groups = summary.byGroup.filter { $0.key.state == state && $0.value > 0 }
                .sorted { $0.value != $1.value ? $0.value > $1.value : ($0.key.reason?.rawValue ?? "") < ($1.key.reason?.rawValue ?? "") }
                .map { ListedGroup<ElementGroup, ReportElement>(key: $0.key, count: $0.value) }
            guard !groups.isEmpty else { continue }
            var missing = groups.reduce(0) { $0 + min($1.count, limit) }
            if missing > 0 {
                let index = Dictionary(uniqueKeysWithValues: groups.enumerated().map { ($1.key.reason, $0) })
                try store.forEachElement(of: run.id, in: state) { element in
                    if let at = index[element.reason], groups[at].rows.count < limit {
                        groups[at].rows.append(element)
                        missing -= 1
                    }
                    return missing > 0
                }
            }
            listed += groups
        }
        return listed
    }

    static func total(_ summary: RunSummary) -> Int {
        summary.byGroup.filter { $0.key.state != .succeeded }.reduce(0) { $0 + $1.value }
    }

    /// The commands that list every element of the run.
    static func allAsText(_ run: RunRecord) -> String { "mdmbatch report \(run.id) --all" }
    static func allAsJSON(_ run: RunRecord) -> String { "mdmbatch report \(run.id) --format json" }
}
