/// The persisted state of a (request, device) (DESIGN.md, "Engine semantics"). The
/// transition table is the one the store enforces: every state change it writes names
/// the states it may come from, and a row in any other state is an error.
public enum DispatchState: String, Sendable, Codable, CaseIterable {
    case planned, rejected, skipped, queued, sending
    case retryWait = "retry_wait"
    /// Sent, and the answer proved nothing (a 5xx, a timeout, a dropped connection) for an
    /// action that must not happen twice: waiting to ask the service, holding no worker, until
    /// its answer or `--settle` after the send makes absence proof (DESIGN.md, "Third round").
    case settleWait = "settle_wait"
    case succeeded, failed
    case unknownOutcome = "unknown_outcome"

    /// No further transition (an `unknown_outcome` moves only when asked again, with
    /// `run --retry-unknown`).
    public var isTerminal: Bool { !Self.open.contains(self) }

    /// The states still waiting for an outcome: a run with rows in them is unfinished.
    public static let open: [DispatchState] = [.planned, .queued, .sending, .retryWait, .settleWait]

    /// The transitions the engine makes. A row is inserted in the state `planned` moves to.
    public static let transitions: [DispatchState: Set<DispatchState>] = [
        .planned: [.rejected, .skipped, .queued],
        .queued: [.sending],
        // queued: a lock re-sent after a crash, or a claim never sent because the run stopped;
        // retry_wait: the same, for a later attempt
        // settle_wait: a reset or a Mac lock whose answer proved nothing, to be asked about
        .sending: [.succeeded, .retryWait, .failed, .unknownOutcome, .queued, .settleWait],
        .retryWait: [.sending, .failed],
        // asked: received; never received (absence proof after --settle: sent again, or out of
        // attempts); the questions themselves kept failing
        .settleWait: [.succeeded, .retryWait, .failed, .unknownOutcome],
        // --retry-unknown: asked again, as after any answer that proved nothing
        .unknownOutcome: [.settleWait],
    ]

    public func canMove(to next: DispatchState) -> Bool {
        Self.transitions[self]?.contains(next) ?? false
    }

    /// The states from which a row may move to `next`.
    public static func sources(of next: DispatchState) -> [DispatchState] {
        allCases.filter { $0.canMove(to: next) }
    }
}
