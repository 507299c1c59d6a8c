import Foundation

/// Settles an element whose outcome is uncertain and that must not happen twice (a reset, a
/// Mac's lock whose answer proved nothing, or that a crash left `sending`): the service is
/// asked, never sent to blindly. Found → received. Not found proves it never arrived only
/// once the service had `settle` seconds after the last send to record it (its results lag
/// behind the 204); until then the element waits in `settle_wait` and is asked again. A
/// question that fails is asked again as `RetryDecision.afterRead` says; when those run out
/// the element ends `unknown_outcome`.
struct Settlement: Sendable {
    let transport: any DeviceActionTransport
    let ids: any IdentifierSource
    let secrets: any SecretSink
    let stop: StopSignal
    let clock: any EngineClock
    /// Seconds after the last send before absence is proof (`--settle`).
    let settle: Double
    let retry: RetryPolicy
    let random: SharedRandom

    /// One element waiting to be asked about.
    struct Pending: Sendable {
        var job: DispatchJob
        /// It had ended `unknown_outcome` (`--retry-unknown`): a secret the service no
        /// longer holds still counts as done.
        var fromUnknown = false
        /// 429s met in a row by its questions.
        var throttledInARow = 0
    }

    /// What one question led to.
    enum Step: Sendable {
        /// Record this; the element is settled. `sendAgain`: the service never received it,
        /// and it goes back to the senders (`retry_wait`).
        case settled(LedgerEntry, sendAgain: Bool)
        /// Ask again at this time of the clock; `failedRead`: the question got no answer
        /// (counted toward `--max-attempts`, but for a 429).
        case askAgain(at: Double, failedRead: String?)
        /// The service refused the question (sign-in, permission): the run stops, the row
        /// stays `settle_wait`, and a resumed run asks again.
        case stopped
    }

    /// When the element was last sent (wall clock): where `settle` counts from.
    static func lastSent(_ job: DispatchJob) -> Date? { job.sentAt ?? job.lastSentAt ?? job.firstSentAt }

    /// How often an element is asked about while absence is not yet proof.
    var askInterval: Double { max(1, settle / 4) }

    func ask(_ pending: inout Pending) async throws -> Step {
        let job = pending.job
        let query = ActionQuery(idempotencyKey: job.key, action: job.action, deviceID: job.deviceID, platform: job.platform,
                                firstSentAt: job.firstSentAt ?? Self.lastSent(job), secret: job.secret, requestID: ids.uuid())
        let answer: ActionLookup
        do {
            answer = try await transport.lookup(query)
        } catch let error as TransportError {
            answer = .unanswered(error)
        }
        let now = clock.date()
        switch answer {
        case .received(let report):
            pending.throttledInARow = 0
            return .settled(.settled(received(report, pending: pending, at: now)), sendAgain: false)
        case .notReceived:
            pending.throttledInARow = 0
            let sent = Self.lastSent(job) ?? now
            let proofAt = sent.addingTimeInterval(settle)
            guard now >= proofAt else {
                // the service may not show it yet: asked again, at the latest when absence is proof
                let wait = min(askInterval, proofAt.timeIntervalSince(now))
                return .askAgain(at: clock.now() + max(0.01, wait), failedRead: nil)
            }
            let attempts = job.countedAttempts
            // --retry-unknown asked for it: sent again whatever its attempts
            guard attempts < retry.maxAttempts || pending.fromUnknown else {
                return .settled(.settled(.finished(job, state: .failed, attempt: job.attempts,
                                          error: "gave up after \(attempts) attempt\(attempts == 1 ? "" : "s"): the service "
                                              + "never received it", channel: nil, effect: nil, secret: nil, at: now)),
                                sendAgain: false)
            }
            return .settled(.settled(.retryWait(job, attempt: job.attempts, error: "the service never received it: safe to send",
                                                delay: 0, at: now)), sendAgain: true)
        case .unknown(let why):
            return failedRead(TransportError.unknownOutcome(message: why), pending: &pending, at: now)
        case .unanswered(let failure):
            return failedRead(failure, pending: &pending, at: now)
        }
    }

    private func received(_ report: ActionReport, pending: Pending, at now: Date) -> LedgerEntry {
        let job = pending.job
        let notice = secrets.notice(for: report.secret, of: job)
        if job.secret != nil, notice == nil, !job.secretDelivered, report.secretGone {
            let note = "the service did it, but " + Self.secretGone(job.secret)
            return .finished(job, state: pending.fromUnknown ? .succeeded : .failed, attempt: job.attempts, error: note,
                             channel: nil, effect: "received", secret: nil, at: now)
        }
        return .finished(job, state: .succeeded, attempt: job.attempts, error: nil, channel: nil,
                         effect: "received (\(report.state.rawValue))", secret: notice, at: now)
    }

    private func failedRead(_ failure: TransportError, pending: inout Pending, at now: Date) -> Step {
        if case .throttled = failure { pending.throttledInARow += 1 } else { pending.throttledInARow = 0 }
        let decision = RetryDecision.afterRead(failure, attempt: pending.job.settleReads + 1,
                                               throttledInARow: max(1, pending.throttledInARow), policy: retry, now: now,
                                               jitter: random.uniform(1))
        switch decision {
        case .stopRun:
            stop.request(.serviceRefused(failure))
            return .stopped
        case .throttled(let delay):
            return .askAgain(at: clock.now() + delay, failedRead: nil)
        case .retry(let delay):
            return .askAgain(at: clock.now() + delay, failedRead: failure.description)
        case .fail, .ask:
            let asked = pending.job.settleReads + 1
            return .settled(.settled(.finished(pending.job, state: .unknownOutcome, attempt: pending.job.attempts,
                                      error: "the service cannot tell whether it was done (asked \(asked) time"
                                          + "\(asked == 1 ? "" : "s"), last: \(failure)); not sent again automatically",
                                      channel: nil, effect: nil, secret: nil, at: now)),
                            sendAgain: false)
        }
    }

    /// What to do about a secret the service made and no longer holds.
    static func secretGone(_ kind: SecretKind?) -> String {
        "the service no longer holds its \(kind?.displayName ?? "secret"): send it again with a new request_id to get a new one"
    }
}
