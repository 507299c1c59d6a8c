import Foundation
import GRDB

/// One unit of dispatch work, as read from `dispatches`.
struct DispatchJob: Sendable {
    var seq: Int64
    var line: Int
    var action: Action
    var deviceID: String
    var platform: PlatformID
    var management: Management?
    var key: String
    var attempts: Int
    var requestID: String?
    var actor: String
    var temporaryPasscode: Bool
    var firstSentAt: Date?
    /// When the current attempt went out (the row's `sending` commit comes before it).
    var sentAt: Date?
}

/// A state change of a dispatch, with the audit row that describes it.
enum LedgerEntry: Sendable {
    case sending(DispatchJob, attempt: Int, at: Date)
    case retryWait(DispatchJob, attempt: Int, error: String, delay: Double, at: Date)
    case finished(DispatchJob, state: DispatchState, attempt: Int, error: String?, channel: String?, effect: String?, at: Date)
    /// After a crash: a lock found `sending` goes back to the queue, to be re-sent with its key.
    case requeued(DispatchJob, at: Date)
    /// Claimed (`sending`) but never sent because the run is stopping: back to the queue.
    case unsent(DispatchJob, at: Date)
}

extension LedgerEntry {
    /// A reset that gave a temporary passcode: the passcode must be durable first.
    var succeedsWithPasscode: Bool {
        if case .finished(let job, .succeeded, _, _, _, let effect, _) = self { return job.temporaryPasscode && effect != "replayed" }
        return false
    }
}

/// Commits dispatch state changes, many at a time: whatever accumulates while one
/// transaction commits goes into the next (group commit), each change with its audit row
/// in the same transaction. `record` returns once its entry is committed; `post` only
/// queues it, for outcomes whose loss in a crash recovery already handles (the row is
/// still `sending` in the database, and is settled on resume). After a failed commit
/// every later entry fails with the same error, and `close` reports it.
final class DispatchLedger: Sendable {
    private let database: AppDatabase
    private let runID: String
    private let queue = CommitQueue()
    private let passcodesDurable: @Sendable () throws -> Void

    /// - Parameter passcodesDurable: makes the temporary passcodes shown so far durable;
    ///   called before a commit that records a passcode's reset as succeeded.
    init(database: AppDatabase, runID: String, passcodesDurable: @escaping @Sendable () throws -> Void = {}) {
        self.database = database
        self.runID = runID
        self.passcodesDurable = passcodesDurable
    }

    /// Returns once `entry` is committed.
    func record(_ entry: LedgerEntry) async throws {
        try await queue.enqueueAndWait(entry)
    }

    /// Queues `entry` for the next commit without waiting for it.
    func post(_ entry: LedgerEntry) async throws {
        try await queue.enqueue(entry)
    }

    /// The commit loop: runs until `close` and the queue is empty.
    func run() async {
        while let batch = await queue.takeAll() {
            do {
                try await commit(batch.map(\.entry))
                for pending in batch { pending.done?.resume() }
            } catch {
                await queue.fail(error)
                for pending in batch { pending.done?.resume(throwing: error) }
            }
        }
    }

    /// Ends the commit loop once everything queued is committed; throws the first commit
    /// error, if any.
    func close() async throws {
        await queue.close()
        if let error = await queue.failure { throw error }
    }

    private func commit(_ entries: [LedgerEntry]) async throws {
        let runID = self.runID
        let passcodesDurable = self.passcodesDurable
        try await database.writer.writeWithoutTransaction { db in
            if entries.contains(where: \.succeedsWithPasscode) { try passcodesDurable() }
            try db.inTransaction(.immediate) {
                try Self.apply(entries, runID: runID, db)
                if entries.contains(where: { if case .sending = $0 { true } else { false } }) {
                    CrashPoint.beforeSendingCommit.reached()
                }
                return .commit
            }
        }
    }

    static func apply(_ entries: [LedgerEntry], runID: String, _ db: Database) throws {
        var audit = try AuditAppender(db)
        let sending = try RawStatement(cached: db, sql: """
            UPDATE dispatches SET state = 'sending', attempts = ?3, last_sent_at = ?4, first_sent_at = coalesce(first_sent_at, ?4)
            WHERE run_id = ?1 AND seq = ?2
            """)
        // ?7: when the attempt really went out (its `sending` was committed a little before)
        let finished = try RawStatement(cached: db, sql: """
            UPDATE dispatches SET state = ?3, last_error = ?4, channel = coalesce(?5, channel), finished_at = ?6,
                last_sent_at = coalesce(?7, last_sent_at),
                first_sent_at = CASE WHEN attempts = 1 AND ?7 IS NOT NULL THEN ?7 ELSE first_sent_at END,
                latency_ms = (julianday(?6) - julianday(CASE WHEN attempts = 1 AND ?7 IS NOT NULL THEN ?7 ELSE first_sent_at END))
                             * 86400000.0
            WHERE run_id = ?1 AND seq = ?2
            """)
        let waiting = try RawStatement(cached: db, sql: """
            UPDATE dispatches SET state = 'retry_wait', last_error = ?3, last_sent_at = coalesce(?4, last_sent_at),
                first_sent_at = CASE WHEN attempts = 1 AND ?4 IS NOT NULL THEN ?4 ELSE first_sent_at END
            WHERE run_id = ?1 AND seq = ?2
            """)
        let requeued = try RawStatement(cached: db, sql: "UPDATE dispatches SET state = 'queued' WHERE run_id = ?1 AND seq = ?2")
        let unsent = try RawStatement(cached: db, sql: """
            UPDATE dispatches SET state = CASE WHEN attempts > 1 THEN 'retry_wait' ELSE 'queued' END, attempts = attempts - 1,
                first_sent_at = CASE WHEN attempts > 1 THEN first_sent_at END
            WHERE run_id = ?1 AND seq = ?2
            """)
        /// Binds run id, seq, then `values` from parameter `from` on, and executes.
        func execute(_ statement: RawStatement, _ job: DispatchJob, _ values: [String?], from first: Int32 = 3) throws {
            statement.bind(1, runID)
            statement.bind(2, job.seq)
            for (offset, value) in values.enumerated() { statement.bind(first + Int32(offset), value) }
            try statement.execute(db)
        }
        for (index, entry) in entries.enumerated() {
            if index == entries.count / 2 && index > 0 { CrashPoint.midCommit.reached() }
            switch entry {
            case .sending(let job, let attempt, let at):
                sending.bind(3, Int64(attempt))
                try execute(sending, job, [ISOTimestamp.formatMillis(at)], from: 4)
                try audit.append(event(job, runID, "dispatch_sending", outcome: "sending",
                                       detail: ["attempt": .number(Double(attempt)), "idempotency_key": .string(job.key)]), at: at)
            case .retryWait(let job, let attempt, let error, let delay, let at):
                try execute(waiting, job, [error, job.sentAt.map(ISOTimestamp.formatMillis)])
                try audit.append(event(job, runID, "dispatch_attempt", outcome: "retry_wait", detail: [
                    "attempt": .number(Double(attempt)), "error": .string(error),
                    "retry_in_s": .number((delay * 1000).rounded() / 1000),
                ]), at: at)
            case .finished(let job, let state, let attempt, let error, let channel, let effect, let at):
                try execute(finished, job, [state.rawValue, error, channel, ISOTimestamp.formatMillis(at),
                                            job.sentAt.map(ISOTimestamp.formatMillis)])
                var detail: [String: JSONValue] = ["attempt": .number(Double(attempt))]
                if let error { detail["error"] = .string(error) }
                if let channel { detail["channel"] = .string(channel) }
                if let effect { detail["effect"] = .string(effect) }
                try audit.append(event(job, runID, "dispatch_attempt", outcome: state.rawValue, detail: detail), at: at)
            case .unsent(let job, let at):
                try execute(unsent, job, [])
                try audit.append(event(job, runID, "dispatch_unsent", outcome: "queued", detail: [
                    "note": .string("claimed for sending but not sent: the run is stopping"),
                    "idempotency_key": .string(job.key),
                ]), at: at)
            case .requeued(let job, let at):
                try execute(requeued, job, [])
                try audit.append(event(job, runID, "dispatch_recovered", outcome: "queued", detail: [
                    "note": .string("found sending after an interruption; a lock is re-sent with the same idempotency key"),
                    "idempotency_key": .string(job.key),
                ]), at: at)
            }
        }
    }

    private static func event(_ job: DispatchJob, _ runID: String, _ name: String, outcome: String,
                              detail: [String: JSONValue]) -> AuditEvent {
        AuditEvent(event: name, actor: job.actor, runID: runID, deviceID: job.deviceID, action: job.action.rawValue,
                   outcome: outcome, detail: detail)
    }
}

private struct Pending: Sendable {
    var entry: LedgerEntry
    /// nil for a posted entry: nobody waits for it.
    var done: CheckedContinuation<Void, any Error>?
}

/// What waits to be committed; `takeAll` hands the commit loop everything at once.
private actor CommitQueue {
    private var pending: [Pending] = []
    private var waiter: CheckedContinuation<[Pending]?, Never>?
    private var closed = false
    private(set) var failure: (any Error)?

    /// Queues `entry` and suspends until the commit loop has committed it.
    func enqueueAndWait(_ entry: LedgerEntry) async throws {
        if let failure { throw failure }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            push(Pending(entry: entry, done: continuation))
        }
    }

    func enqueue(_ entry: LedgerEntry) throws {
        if let failure { throw failure }
        push(Pending(entry: entry, done: nil))
    }

    func fail(_ error: any Error) {
        if failure == nil { failure = error }
    }

    private func push(_ item: Pending) {
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: [item])
        } else {
            pending.append(item)
        }
    }

    func takeAll() async -> [Pending]? {
        if !pending.isEmpty {
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        if closed { return nil }
        return await withCheckedContinuation { waiter = $0 }
    }

    func close() {
        closed = true
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: pending.isEmpty ? nil : pending)
            pending.removeAll()
        }
    }
}
