/// What earlier runs to the same service did with one element (request, action, device),
/// as the planner gathers it: the facts `already_done` and `unknown_earlier` are decided on
/// (RULES.md, "Same service, same identity").
public struct EarlierElements: Sendable, Equatable {
    /// An element of the same request_id, action and device ended `succeeded`.
    public var succeeded: Bool
    /// One ended `unknown_outcome`: of the same request_id, or, for a request without one,
    /// of the same batch and line.
    public var unknownOutcome: Bool

    public init(succeeded: Bool = false, unknownOutcome: Bool = false) {
        self.succeeded = succeeded
        self.unknownOutcome = unknownOutcome
    }

    /// The checks that come before a skip (RULES.md: "a request skipped as already_done is
    /// not evaluated further" than checks 1 to 3).
    static let precedingChecks: Set<ReasonCode> = [.invalidRequest, .unknownTarget, .ambiguousTarget, .noDevicesForUser,
                                                    .duplicateRequest]

    /// Not to be sent for what an earlier run did: `already_done` before `unknown_earlier`,
    /// unless checks 1–3 refused the element (`verdict`) first.
    public func skip(after verdict: Verdict) -> ReasonCode? {
        if let reason = verdict.reason, Self.precedingChecks.contains(reason) { return nil }
        if succeeded { return .alreadyDone }
        if unknownOutcome { return .unknownEarlier }
        return nil
    }
}
