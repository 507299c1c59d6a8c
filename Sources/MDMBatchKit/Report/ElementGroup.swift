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
