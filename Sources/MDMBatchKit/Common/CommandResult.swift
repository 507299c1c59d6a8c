/// What a command's entry point returns when it ran to its end: besides what it did, how
/// it ended, for the exit status.
public protocol CommandResult {
    /// nil: the command did what it said (exit 0); else the kind of its failure.
    var failure: FailureKind? { get }
    /// The error behind `failure`, for stderr; nil when what the command prints says it.
    var failureCause: (any Error)? { get }
}

extension CommandResult {
    public var failureCause: (any Error)? { nil }
}
