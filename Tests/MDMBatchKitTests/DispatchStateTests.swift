import Foundation
import GRDB
import Testing
@testable import MDMBatchKit

@Suite("The dispatch state table is the one the store enforces")
struct DispatchStateTests {
    /// The ledger's changes and the state each moves a row to.
    static let changes: [(name: String, target: DispatchState?, make: @Sendable (DispatchJob) -> LedgerEntry)] = {
        let at = Date(timeIntervalSince1970: 1_795_000_000)
        return [
            ("sending", .sending, { .sending($0, attempt: 1, at: at) }),
            ("retry_wait", .retryWait, { .retryWait($0, attempt: 1, error: "HTTP 503", delay: 1, at: at) }),
            ("succeeded", .succeeded, { .finished($0, state: .succeeded, attempt: 1, error: nil, channel: nil, effect: nil,
                                                  secret: nil, at: at) }),
            ("failed", .failed, { .finished($0, state: .failed, attempt: 1, error: "x", channel: nil, effect: nil,
                                            secret: nil, at: at) }),
            ("unknown_outcome", .unknownOutcome, { .finished($0, state: .unknownOutcome, attempt: 1, error: "x", channel: nil,
                                                             effect: nil, secret: nil, at: at) }),
            ("settle_wait", .settleWait, { .settleWait($0, attempt: 1, error: "HTTP 500", note: nil, at: at) }),
            ("settled: succeeded", .succeeded, { .settled(.finished($0, state: .succeeded, attempt: 1, error: nil, channel: nil,
                                                                    effect: "received", secret: nil, at: at)) }),
            ("settled: retry_wait", .retryWait, { .settled(.retryWait($0, attempt: 1, error: "never received", delay: 0, at: at)) }),
            ("requeued", .queued, { .requeued($0, note: "test", at: at) }),
            // an unsent claim goes back from `sending` only
            ("unsent", nil, { .unsent($0, note: "test", at: at) }),
            // a question that got no answer changes a `settle_wait` row only (its count of them)
            ("asked in vain", nil, { .askedInVain($0, error: "HTTP 503", at: at) }),
        ]
    }()

    static let stored: [DispatchState] = [.rejected, .skipped, .queued, .sending, .retryWait, .settleWait, .succeeded, .failed,
                                          .unknownOutcome]

    @Test("every change applies from exactly the states the table allows, and refuses the others",
          arguments: stored, changes.indices)
    func enforced(from: DispatchState, change: Int) throws {
        let (name, target, make) = Self.changes[change]
        let database = try AppDatabase.inMemory()
        try database.tamper("""
            INSERT INTO runs (id, batch_name, batch_sha256, state, actor, started_at, options, requests, targets)
            VALUES ('r', 'b.csv', 'x', 'running', 't', '2026-11-26T00:00:00.000Z', '{}', 1, 1)
            """)
        try database.tamper("""
            INSERT INTO dispatches (run_id, seq, line, action, target, device_id, platform, idempotency_key, state, attempts)
            VALUES ('r', 1, 2, 'lock', 'd1', 'd1', 'ios', 'k', ?, 1)
            """, arguments: [from.rawValue])
        let job = DispatchJob(seq: 1, line: 2, action: .lock, deviceID: "d1", platform: .ios, management: nil, key: "k",
                              attempts: 1, requestID: nil, actor: "t", justification: nil, ticket: nil, secret: nil,
                              secretDelivered: false, firstSentAt: nil, sentAt: nil, attemptID: nil, deviceState: nil)
        let allowed = target.map { from.canMove(to: $0) } ?? (from == (name == "asked in vain" ? .settleWait : .sending))
        do {
            try database.write { try $0.applyDispatchChanges([make(job)], runID: "r") }
            #expect(allowed, "\(name) applied from \(from), which the table forbids")
        } catch StoreError.illegalTransition {
            #expect(!allowed, "\(name) refused from \(from), which the table allows")
        }
        let state = try database.inspect { try String.fetchOne($0, sql: "SELECT state FROM dispatches") }
        if !allowed { #expect(state == from.rawValue, "a refused change leaves the row as it was") }
    }
}

@Suite("What to do after a failed attempt (a table)")
struct RetryDecisionTests {
    static let policy = RetryPolicy(maxAttempts: 3, baseDelay: 1, maxDelay: 8)
    static let now = Date(timeIntervalSince1970: 1_795_593_600)  // 2026-11-25T08:00:00Z

    static let cases: [(TransportError, Action, PlatformID, Int, RetryDecision)] = [
        // proved nothing was done: a refused connection (and the mock's refusal) is sent again, counted
        (.transient(status: 503, retryAfter: nil, message: "x"), .lock, .ios, 1, .retry(after: 0.5)),
        (.transient(status: 503, retryAfter: nil, message: "x"), .lock, .ios, 2, .retry(after: 1)),
        (.transient(status: nil, retryAfter: nil, message: "refused"), .resetPasscode, .ios, 1, .retry(after: 0.5)),
        (.transient(status: nil, retryAfter: nil, message: "refused"), .lock, .macos, 1, .retry(after: 0.5)),
        (.transient(status: 503, retryAfter: nil, message: "x"), .lock, .ios, 3,
         .fail("gave up after 3 attempts: HTTP 503 x")),
        // 429: never counted, the service's Retry-After, else full jitter up to the window
        (.throttled(retryAfter: "7", message: "x"), .lock, .ios, 1, .throttled(after: 7)),
        (.throttled(retryAfter: "2.128", message: "x"), .resetPasscode, .android, 1, .throttled(after: 2.128)),
        (.throttled(retryAfter: "Wed, 25 Nov 2026 08:00:30 GMT", message: "x"), .lock, .ios, 1, .throttled(after: 30)),
        (.throttled(retryAfter: nil, message: "x"), .resetPasscode, .android, 1, .throttled(after: 0.5)),
        (.throttled(retryAfter: nil, message: "x"), .lock, .macos, 3, .throttled(after: 0.5)),
        (.throttled(retryAfter: nil, message: "x"), .lock, .macos, 99, .throttled(after: 0.5)),
        // refused: at once
        (.permanent(status: 404, code: "ResourceNotFound", message: "gone"), .lock, .ios, 1,
         .fail("HTTP 404 ResourceNotFound: gone")),
        (.permanent(status: 400, code: "BadRequest", message: nil, reference: ServiceReference(operationID: "op-1")),
         .resetPasscode, .android, 1, .fail("HTTP 400 BadRequest: refused by the service, no reason given (Operation ID op-1)")),
        // may have been done (a 5xx after the effect, a timeout): a lock is sent again, a reset or a Mac lock asked about
        (.unknownOutcome(message: "timed out"), .lock, .ios, 1, .retry(after: 0.5)),
        (.unknownOutcome(message: "HTTP 500 InternalServerError"), .lock, .windows10mobile, 1, .retry(after: 0.5)),
        (.unknownOutcome(message: "timed out"), .lock, .android, 3, .fail("gave up after 3 attempts: outcome unknown: timed out")),
        (.unknownOutcome(message: "timed out"), .resetPasscode, .android, 1, .ask),
        (.unknownOutcome(message: "HTTP 504 GatewayTimeout"), .resetPasscode, .ios, 3, .ask),
        (.unknownOutcome(message: "HTTP 502 BadGateway"), .lock, .macos, 1, .ask),
        (.signInRefused(message: "AADSTS7000215"), .lock, .ios, 1, .stopRun),
        (.permissionDenied(permission: "DeviceManagementManagedDevices.PrivilegedOperations.All", message: "x"), .resetPasscode, .ios, 2,
         .stopRun),
    ]

    @Test("failure × action × platform × attempt → retry after / throttled / fail / ask / stop", arguments: cases.indices)
    func decision(index: Int) {
        let (failure, action, platform, attempt, expected) = Self.cases[index]
        // jitter 0.5: half the ceiling of the attempt's backoff
        #expect(RetryDecision.after(failure, action: action, platform: platform, attempt: attempt, policy: Self.policy,
                                    now: Self.now, jitter: 0.5) == expected)
    }

    /// One failure of each answer class the service can give.
    static let classes: [(String, TransportError)] = [
        ("429", .throttled(retryAfter: nil, message: "Too Many Requests")),
        ("401 twice", .signInRefused(message: "x")),
        ("403", .permissionDenied(permission: "p", message: "x")),
        ("refused connection", .transient(status: nil, retryAfter: nil, message: "cannot connect")),
        ("400/404/409", .permanent(status: 400, code: "BadRequest", message: nil)),
        ("500/502/503/504/408, timeout, drop, unreadable body", .unknownOutcome(message: "HTTP 500")),
    ]

    @Test("every answer class × action × platform: only an answer that proves nothing happened re-sends a reset or a Mac lock")
    func everyClass() {
        for (name, failure) in Self.classes {
            for action in Action.allCases {
                for platform in PlatformID.allCases {
                    let decision = RetryDecision.after(failure, action: action, platform: platform, attempt: 1, policy: Self.policy,
                                                       now: Self.now, jitter: 0.5)
                    let once = action == .resetPasscode || platform == .macos
                    let expected: RetryDecision
                    switch name {
                    case "429": expected = .throttled(after: 0.5)
                    case "401 twice", "403": expected = .stopRun
                    case "refused connection": expected = .retry(after: 0.5)
                    case "400/404/409": expected = .fail(failure.description)
                    default: expected = once ? .ask : .retry(after: 0.5)
                    }
                    #expect(decision == expected, "\(name) × \(action) × \(platform)")
                    // a read acts on nothing: never asked about, a 5xx asked again
                    let read = RetryDecision.afterRead(failure, attempt: 1, policy: Self.policy, now: Self.now, jitter: 0.5)
                    #expect(read != .ask, "\(name): a read is never settled by asking")
                }
            }
        }
    }

    @Test("a breaker's probe goes back unsent-counted only when its answer proves nothing was done")
    func probes() {
        #expect(RetryDecision.probeMayRequeue(.transient(status: nil, retryAfter: nil, message: "x"), action: .resetPasscode, platform: .android))
        #expect(RetryDecision.probeMayRequeue(.throttled(retryAfter: nil, message: "x"), action: .lock, platform: .macos))
        #expect(!RetryDecision.probeMayRequeue(.unknownOutcome(message: "HTTP 500"), action: .resetPasscode, platform: .android))
        #expect(!RetryDecision.probeMayRequeue(.unknownOutcome(message: "HTTP 500"), action: .lock, platform: .macos))
        #expect(RetryDecision.probeMayRequeue(.unknownOutcome(message: "HTTP 500"), action: .lock, platform: .ios))
        #expect(!RetryDecision.probeMayRequeue(.permanent(status: 404, code: nil, message: "x"), action: .lock, platform: .ios))
        #expect(RetryDecision.tellsOfOutage(.unknownOutcome(message: "x")) && RetryDecision.tellsOfOutage(.transient(status: nil, retryAfter: nil, message: "x")))
        #expect(!RetryDecision.tellsOfOutage(.throttled(retryAfter: nil, message: "x")))
    }

    @Test("reads: a 5xx or a timeout is asked again up to --max-attempts, a 429 without limit, a refusal fails at once")
    func reads() {
        #expect(RetryDecision.afterRead(.unknownOutcome(message: "HTTP 503"), attempt: 1, policy: Self.policy, now: Self.now, jitter: 0.5) == .retry(after: 0.5))
        #expect(RetryDecision.afterRead(.unknownOutcome(message: "HTTP 503"), attempt: 3, policy: Self.policy, now: Self.now, jitter: 0.5)
                == .fail("gave up after 3 attempts: outcome unknown: HTTP 503"))
        #expect(RetryDecision.afterRead(.throttled(retryAfter: nil, message: "x"), attempt: 50, throttledInARow: 10, policy: Self.policy,
                                        now: Self.now, jitter: 0.5) == .throttled(after: 10))
        #expect(RetryDecision.afterRead(.throttled(retryAfter: nil, message: "x"), attempt: 1, throttledInARow: 30, policy: Self.policy,
                                        now: Self.now, jitter: 0.999) < .throttled(after: 20.0001))
        #expect(RetryDecision.afterRead(.permanent(status: 400, code: nil, message: "x"), attempt: 1, policy: Self.policy, now: Self.now,
                                        jitter: 0.5) == .fail("HTTP 400 x"))
    }
}

extension RetryDecision {
    /// For the table: the wait of two throttled decisions compared.
    static func < (lhs: RetryDecision, rhs: RetryDecision) -> Bool {
        if case .throttled(let a) = lhs, case .throttled(let b) = rhs { return a < b }
        return false
    }
}
