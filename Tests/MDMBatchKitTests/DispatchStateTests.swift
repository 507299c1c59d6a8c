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
                                                  secretDelivered: false, at: at) }),
            ("failed", .failed, { .finished($0, state: .failed, attempt: 1, error: "x", channel: nil, effect: nil,
                                            secretDelivered: false, at: at) }),
            ("unknown_outcome", .unknownOutcome, { .finished($0, state: .unknownOutcome, attempt: 1, error: "x", channel: nil,
                                                             effect: nil, secretDelivered: false, at: at) }),
            ("requeued", .queued, { .requeued($0, note: "test", at: at) }),
            // an unsent claim goes back from `sending` only
            ("unsent", nil, { .unsent($0, note: "test", at: at) }),
        ]
    }()

    static let stored: [DispatchState] = [.rejected, .skipped, .queued, .sending, .retryWait, .succeeded, .failed, .unknownOutcome]

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
        let allowed = target.map { from.canMove(to: $0) } ?? (from == .sending)
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
        (.transient(status: 503, retryAfter: nil, message: "x"), .lock, .ios, 1, .retry(after: 0.5)),
        (.transient(status: 503, retryAfter: nil, message: "x"), .lock, .ios, 2, .retry(after: 1)),
        (.transient(status: 429, retryAfter: "7", message: "x"), .lock, .ios, 1, .retry(after: 7)),
        (.transient(status: 429, retryAfter: "2.128", message: "x"), .resetPasscode, .android, 1, .retry(after: 2.128)),
        (.transient(status: 429, retryAfter: "Wed, 25 Nov 2026 08:00:30 GMT", message: "x"), .lock, .ios, 1, .retry(after: 30)),
        (.transient(status: nil, retryAfter: nil, message: "refused"), .resetPasscode, .ios, 1, .retry(after: 0.5)),
        (.transient(status: 503, retryAfter: nil, message: "x"), .lock, .ios, 3,
         .fail("gave up after 3 attempts: HTTP 503 x")),
        (.permanent(status: 404, code: "ResourceNotFound", message: "gone"), .lock, .ios, 1,
         .fail("HTTP 404 ResourceNotFound: gone")),
        (.unknownOutcome(message: "timed out"), .lock, .ios, 1, .retry(after: 0.5)),
        (.unknownOutcome(message: "timed out"), .lock, .android, 3, .fail("gave up after 3 attempts: outcome unknown: timed out")),
        (.unknownOutcome(message: "timed out"), .resetPasscode, .android, 1, .ask),
        (.unknownOutcome(message: "timed out"), .resetPasscode, .ios, 3, .ask),
        (.unknownOutcome(message: "timed out"), .lock, .macos, 1, .ask),
        (.signInRefused(message: "AADSTS7000215"), .lock, .ios, 1, .stopRun),
        (.permissionDenied(permission: "DeviceManagementManagedDevices.PrivilegedOperations.All", message: "x"), .resetPasscode, .ios, 2,
         .stopRun),
    ]

    @Test("failure × action × platform × attempt → retry after / fail / ask / stop", arguments: cases.indices)
    func decision(index: Int) {
        let (failure, action, platform, attempt, expected) = Self.cases[index]
        // jitter 0.5: half the ceiling of the attempt's backoff
        #expect(RetryDecision.after(failure, action: action, platform: platform, attempt: attempt, policy: Self.policy,
                                    now: Self.now, jitter: 0.5) == expected)
    }
}
