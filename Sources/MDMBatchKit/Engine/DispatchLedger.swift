import Foundation
import Synchronization

/// Commits dispatch state changes, many at a time: whatever accumulates while one
/// transaction commits goes into the next (group commit), each change with its audit row
/// in the same transaction. `record` returns once its entry is committed; `post` only
/// queues it, for outcomes whose loss in a crash recovery already handles (the row is
/// still `sending` in the database, and is settled on resume). After a failed commit
/// every later entry fails with the same error, and `close` reports it. Secrets claimed by
/// a commit and then written to their file are marked delivered by the next commit (or at
/// the end): one transaction less per commit that carries secrets; a kill before the mark
/// leaves claims, which the next run or confirm resolves from the file.
final class DispatchLedger: Sendable {
    private let database: AppDatabase
    private let runID: String
    private let queue = CommitQueue()
    private let handOver: SecretHandOver
    private let dependencies: RunDependencies
    /// Claimed secrets whose lines are durable in their file, with when they were: to mark delivered.
    private let marks = Mutex<[(seqs: [Int64], at: Date)]>([])

    /// - Parameter secrets: where the secrets the entries carry go, exactly once (`SecretHandOver`).
    init(database: AppDatabase, runID: String, secrets: any SecretSink, dependencies: RunDependencies) {
        self.database = database
        self.runID = runID
        handOver = SecretHandOver(secrets: secrets, crashPoints: dependencies.crashPoints)
        self.dependencies = dependencies
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
        // the marks the last commit left (kept as claims, resolved at the next start, should this fail)
        let marks = takeMarks(), runID = self.runID
        if !marks.isEmpty {
            try? await database.writeAsync { try Self.mark(marks, in: $0, runID: runID) }
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
        let crashPoints = dependencies.crashPoints, clock = dependencies.clock
        let database = self.database
        // the secrets the commit before wrote to their file: marked delivered in this transaction
        let earlier = takeMarks()
        try await handOver.commit(entries.compactMap(\.secretNotice), record: { secrets in
            try await database.writeAsync { store in
                try Self.mark(earlier, in: store, runID: runID)
                try store.applyDispatchChanges(entries, runID: runID, secrets: secrets, at: { crashPoints.reached(.midCommit) })
                if entries.contains(where: \.isSending) { crashPoints.reached(.beforeSendingCommit) }
            }
        }, mark: { seqs in
            let now = clock.date()
            marks.withLock { $0.append((seqs, now)) }
        })
    }

    private func takeMarks() -> [(seqs: [Int64], at: Date)] {
        marks.withLock { marks in
            defer { marks.removeAll() }
            return marks
        }
    }

    private static func mark(_ marks: [(seqs: [Int64], at: Date)], in store: StoreWriter, runID: String) throws {
        for mark in marks { try store.markSecretsDelivered(runID: runID, seqs: mark.seqs, at: mark.at) }
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
