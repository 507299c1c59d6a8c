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
}

/// A state change of a dispatch, with the audit row that describes it.
enum LedgerEntry: Sendable {
    case sending(DispatchJob, attempt: Int, at: Date)
    case retryWait(DispatchJob, attempt: Int, error: String, delay: Double, at: Date)
    case finished(DispatchJob, state: DispatchState, attempt: Int, error: String?, channel: String?, effect: String?, at: Date)
    /// After a crash: a lock found `sending` goes back to the queue, to be re-sent with its key.
    case requeued(DispatchJob, at: Date)
}

/// Commits dispatch state changes, many at a time: each change is in the database (with
/// its audit row, in the same transaction) before `record` returns, and whatever
/// accumulates while one transaction commits goes into the next (group commit).
final class DispatchLedger: Sendable {
    private let database: AppDatabase
    private let runID: String
    private let queue = CommitQueue()

    init(database: AppDatabase, runID: String) {
        self.database = database
        self.runID = runID
    }

    /// Returns once `entry` is committed.
    func record(_ entry: LedgerEntry) async throws {
        try await queue.enqueueAndWait(entry)
    }

    /// The commit loop: runs until `close` and the queue is empty.
    func run() async {
        while let batch = await queue.takeAll() {
            do {
                try await commit(batch.map(\.entry))
                for pending in batch { pending.done.resume() }
            } catch {
                for pending in batch { pending.done.resume(throwing: error) }
            }
        }
    }

    func close() async { await queue.close() }

    private func commit(_ entries: [LedgerEntry]) async throws {
        let runID = self.runID
        try await database.writer.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                try Self.apply(entries, runID: runID, db)
                return .commit
            }
        }
    }

    static func apply(_ entries: [LedgerEntry], runID: String, _ db: Database) throws {
        var audit = try AuditAppender(db)
        let sending = try db.cachedStatement(sql: """
            UPDATE dispatches SET state = 'sending', attempts = ?, last_sent_at = ?, first_sent_at = coalesce(first_sent_at, ?)
            WHERE run_id = ? AND seq = ?
            """)
        let waiting = try db.cachedStatement(sql: """
            UPDATE dispatches SET state = 'retry_wait', last_error = ? WHERE run_id = ? AND seq = ?
            """)
        let finished = try db.cachedStatement(sql: """
            UPDATE dispatches SET state = ?, last_error = ?, channel = coalesce(?, channel), finished_at = ?,
                latency_ms = (julianday(?) - julianday(first_sent_at)) * 86400000.0
            WHERE run_id = ? AND seq = ?
            """)
        let requeued = try db.cachedStatement(sql: "UPDATE dispatches SET state = 'queued' WHERE run_id = ? AND seq = ?")
        for entry in entries {
            switch entry {
            case .sending(let job, let attempt, let at):
                let time = ISOTimestamp.formatMillis(at)
                try sending.execute(arguments: [attempt, time, time, runID, job.seq])
                try audit.append(event(job, runID, "dispatch_sending", outcome: "sending",
                                       detail: ["attempt": .number(Double(attempt)), "idempotency_key": .string(job.key)]), at: at)
            case .retryWait(let job, let attempt, let error, let delay, let at):
                try waiting.execute(arguments: [error, runID, job.seq])
                try audit.append(event(job, runID, "dispatch_attempt", outcome: "retry_wait", detail: [
                    "attempt": .number(Double(attempt)), "error": .string(error),
                    "retry_in_s": .number((delay * 1000).rounded() / 1000),
                ]), at: at)
            case .finished(let job, let state, let attempt, let error, let channel, let effect, let at):
                let time = ISOTimestamp.formatMillis(at)
                try finished.execute(arguments: [state.rawValue, error, channel, time, time, runID, job.seq])
                var detail: [String: JSONValue] = ["attempt": .number(Double(attempt))]
                if let error { detail["error"] = .string(error) }
                if let channel { detail["channel"] = .string(channel) }
                if let effect { detail["effect"] = .string(effect) }
                try audit.append(event(job, runID, "dispatch_attempt", outcome: state.rawValue, detail: detail), at: at)
            case .requeued(let job, let at):
                try requeued.execute(arguments: [runID, job.seq])
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
    var done: CheckedContinuation<Void, any Error>
}

/// What waits to be committed; `takeAll` hands the commit loop everything at once.
private actor CommitQueue {
    private var pending: [Pending] = []
    private var waiter: CheckedContinuation<[Pending]?, Never>?
    private var closed = false

    /// Queues `entry` and suspends until the commit loop has committed it.
    func enqueueAndWait(_ entry: LedgerEntry) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            push(Pending(entry: entry, done: continuation))
        }
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
