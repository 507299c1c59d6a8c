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
