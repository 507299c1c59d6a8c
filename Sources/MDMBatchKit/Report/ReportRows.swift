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
