import Foundation

/// The answer to an `ActionQuery`.
public enum ActionLookup: Sendable, Equatable {
    /// The service received the action.
    case received(ActionReport)
    /// The service has no such action: it never arrived, and it is safe to send.
    case notReceived
    /// The service answered, but its answer cannot tell (a result without a readable start).
    case unknown(String)
    /// The question got no answer: a failed read (`RetryDecision.afterRead` says whether
    /// and when to ask again).
    case unanswered(TransportError)
}
