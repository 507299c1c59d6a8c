import Foundation

/// What to do after a failed attempt: a pure function of the failure, the action, the
/// platform, the attempt number and the retry policy (and a jitter sample), tested as a table.
public enum RetryDecision: Sendable, Equatable {
    /// Send again after this many seconds.
    case retry(after: Double)
    /// The element fails for good, with this error.
    case fail(String)
    /// The outcome is unknown and the action must not happen twice: ask the service
    /// whether it received it, never re-send blindly.
    case ask
    /// Nothing more can be sent (the sign-in or a permission was refused): the run stops.
    case stopRun

    /// - Parameters:
    ///   - attempt: the attempt that failed, from 1.
    ///   - now: for a `Retry-After` given as an HTTP date.
    ///   - jitter: a uniform sample in [0, 1) for the backoff's full jitter.
    public static func after(_ failure: TransportError, action: Action, platform: PlatformID, attempt: Int,
                             policy: RetryPolicy, now: Date, jitter: Double) -> RetryDecision {
        switch failure {
        case .signInRefused, .permissionDenied:
            return .stopRun
        case .permanent:
            return .fail(failure.description)
        case .unknownOutcome where mustNotRepeat(action, on: platform):
            return .ask
        case .unknownOutcome, .transient:
            var retryAfter: Double? = nil
            if case .transient(_, let header?, _) = failure { retryAfter = RetryAfter.seconds(header, now: now) }
            guard let delay = policy.delay(afterAttempt: attempt, retryAfter: retryAfter, jitter: jitter) else {
                return .fail("gave up after \(attempt) attempt\(attempt == 1 ? "" : "s"): \(failure)")
            }
            return .retry(after: delay)
        }
    }

    /// A second reset voids the first passcode; a second lock of a Mac fails while its
    /// first unlock PIN is unused. Other locks may safely reach a device twice.
    public static func mustNotRepeat(_ action: Action, on platform: PlatformID) -> Bool {
        action == .resetPasscode || platform == .macos
    }
}
