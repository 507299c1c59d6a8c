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
