import Foundation

/// What a failed call means and what to do next: the one judge of every answer that is not
/// a success, for sends, for questions about an action and for pages of a collection. Pure:
/// a function of the failure, the action, the platform, the attempts so far, the policy
/// (and a jitter sample), tested as a table (DESIGN.md, "Third round": only an answer that
/// proves nothing happened allows a blind re-send of a reset or a Mac lock).
public enum RetryDecision: Sendable, Equatable {
    /// Send (or ask) again after this many seconds; the attempt counts toward `--max-attempts`.
    case retry(after: Double)
    /// 429: nothing was done; wait this long and send again. Never counts toward
    /// `--max-attempts`, and the pace slows (`AdaptivePace`).
    case throttled(after: Double)
    /// The element fails for good, with this error.
    case fail(String)
    /// The outcome is unknown and the action must not happen twice: ask the service
    /// whether it received it (after `--settle`, absence is proof), never re-send blindly.
    case ask
    /// Nothing more can be sent (the sign-in or a permission was refused): the run stops.
    case stopRun

    /// After a failed send.
    /// - Parameters:
    ///   - attempt: the counted attempts so far, the failed one included (from 1).
    ///   - throttledInARow: the 429s this element met in a row, this one included (for the
    ///     wait when the service gives no `Retry-After`).
    ///   - now: for a `Retry-After` given as an HTTP date.
    ///   - jitter: a uniform sample in [0, 1) for the backoff's full jitter.
    public static func after(_ failure: TransportError, action: Action, platform: PlatformID, attempt: Int,
                             throttledInARow: Int = 1, policy: RetryPolicy, now: Date, jitter: Double) -> RetryDecision {
        judge(failure, asking: mustNotRepeat(action, on: platform), attempt: attempt, throttledInARow: throttledInARow,
              policy: policy, now: now, jitter: jitter)
    }

    /// After a failed question or page: a read acts on nothing, so whatever the failure it
    /// may be asked again (the attempt counted, but for a 429); a refusal of the request
    /// itself (400, 404 of a collection) fails at once.
    public static func afterRead(_ failure: TransportError, attempt: Int, throttledInARow: Int = 1, policy: RetryPolicy,
                                 now: Date, jitter: Double) -> RetryDecision {
        judge(failure, asking: false, attempt: attempt, throttledInARow: throttledInARow, policy: policy, now: now, jitter: jitter)
    }

    /// `asking`: an answer that proves nothing is settled by asking, not by sending again.
    private static func judge(_ failure: TransportError, asking: Bool, attempt: Int, throttledInARow: Int, policy: RetryPolicy,
                              now: Date, jitter: Double) -> RetryDecision {
        switch failure {
        case .signInRefused, .permissionDenied:
            return .stopRun
        case .permanent:
            return .fail(failure.description)
        case .throttled(let header, _):
            return .throttled(after: policy.throttleDelay(inARow: throttledInARow,
                                                          retryAfter: header.flatMap { RetryAfter.seconds($0, now: now) },
                                                          jitter: jitter))
        case .unknownOutcome where asking:
            return .ask
        case .unknownOutcome, .transient:
            return backoff(failure, attempt: attempt, policy: policy, now: now, jitter: jitter)
        }
    }

    private static func backoff(_ failure: TransportError, attempt: Int, policy: RetryPolicy, now: Date,
                                jitter: Double) -> RetryDecision {
        var retryAfter: Double? = nil
        if case .transient(_, let header?, _) = failure { retryAfter = RetryAfter.seconds(header, now: now) }
        guard let delay = policy.delay(afterAttempt: attempt, retryAfter: retryAfter, jitter: jitter) else {
            return .fail("gave up after \(attempt) attempt\(attempt == 1 ? "" : "s"): \(failure)")
        }
        return .retry(after: delay)
    }

    /// The failure tells of an outage (the circuit breaker counts it): the service did not
    /// answer, or answered that it could not. A 429 is not an outage (the pace answers it),
    /// and a refusal or a sign-in problem says nothing of the service's health.
    public static func tellsOfOutage(_ failure: TransportError) -> Bool {
        switch failure {
        case .transient, .unknownOutcome: true
        case .throttled, .permanent, .signInRefused, .permissionDenied: false
        }
    }

    /// A probe of the circuit breaker that fails this way may go back to the queue without
    /// its attempt counting: the answer proves nothing was done. One that may have acted is
    /// judged like any send (a reset or a Mac lock is then asked about, never probed again).
    public static func probeMayRequeue(_ failure: TransportError, action: Action, platform: PlatformID) -> Bool {
        switch failure {
        case .transient, .throttled: true
        case .unknownOutcome: !mustNotRepeat(action, on: platform)
        case .permanent, .signInRefused, .permissionDenied: false
        }
    }

    /// A second reset voids the first passcode; a second lock of a Mac fails while its
    /// first unlock PIN is unused. Other locks may safely reach a device twice.
    public static func mustNotRepeat(_ action: Action, on platform: PlatformID) -> Bool {
        action == .resetPasscode || platform == .macos
    }
}
