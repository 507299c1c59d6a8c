import Foundation
import GRDB

/// The state of a run.
public enum RunState: String, Sendable, Codable {
    case running, interrupted, finished
}

/// A run as recorded in `runs`.
public struct RunRecord: Sendable, Equatable {
    public var id: String
    public var batchName: String
    public var batchSHA256: String
    public var state: RunState
    public var actor: String
    public var startedAt: String
    public var finishedAt: String?
    /// The options as recorded, JSON (concurrency, rate, attempts, settle, transport
    /// settings): what its audit row and reports quote.
    public var optionsText: String
    /// The same, decoded once.
    public var options: RecordedRunOptions
    public var requests: Int
    public var targets: Int
    public var ruleSet: String
    /// The service it sent to: what it did counts only for runs of the same service.
    public var service: ServiceIdentity

    /// The transport the run recorded (a run of the first round: the mock, as it was then).
    public var transport: TransportSettings { options.transport ?? TransportSettings() }

    /// The `--settle` the run recorded, in seconds (nil: a run before the third round).
    public var settle: Double? { options.settle }

    init(_ row: Row) {
        id = row["id"]
        batchName = row["batch_name"]
        batchSHA256 = row["batch_sha256"]
        state = RunState(rawValue: row["state"]) ?? .interrupted
        actor = row["actor"]
        startedAt = row["started_at"]
        finishedAt = row["finished_at"]
        optionsText = row["options"]
        options = RecordedRunOptions(text: optionsText)
        requests = row["requests"]
        targets = row["targets"]
        ruleSet = row["rule_set"]
        service = ServiceIdentity(key: row["service"]) ?? .mock
    }
}

extension StoreReader {
    /// Every run, the latest first.
    public func runs() throws -> [RunRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY started_at DESC, id DESC").map(RunRecord.init)
    }

    public func run(_ id: String) throws -> RunRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]).map(RunRecord.init)
    }

    /// The latest run of the batch with this sha256 that is not finished.
    public func unfinishedRun(batchSHA256: String) throws -> RunRecord? {
        try Row.fetchOne(db, sql: """
            SELECT * FROM runs WHERE batch_sha256 = ? AND state != 'finished' ORDER BY started_at DESC LIMIT 1
            """, arguments: [batchSHA256]).map(RunRecord.init)
    }

    /// The latest run of a batch that holds an `unknown_outcome` element, else the latest
    /// run of it: what `--retry-unknown` reopens (a plain re-run in between, which skipped
    /// those elements as left unknown by an earlier run, does not hide them).
    public func runToRetry(batchSHA256: String) throws -> RunRecord? {
        try Row.fetchOne(db, sql: """
            SELECT * FROM runs r WHERE batch_sha256 = ?
            AND EXISTS (SELECT 1 FROM dispatches d WHERE d.run_id = r.id AND d.state = 'unknown_outcome')
            ORDER BY started_at DESC, id DESC LIMIT 1
            """, arguments: [batchSHA256]).map(RunRecord.init) ?? latestRun(batchSHA256: batchSHA256)
    }

    /// The latest run of the batch with this sha256, finished or not.
    public func latestRun(batchSHA256: String) throws -> RunRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE batch_sha256 = ? ORDER BY started_at DESC, id DESC LIMIT 1",
                         arguments: [batchSHA256]).map(RunRecord.init)
    }

    /// How many rows of the run are in each state.
    public func dispatchCounts(runID: String) throws -> [DispatchState: Int] {
        var counts: [DispatchState: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM dispatches WHERE run_id = ? GROUP BY state",
                                    arguments: [runID]) {
            if let state = DispatchState(rawValue: row["state"]) { counts[state] = row["n"] }
        }
        return counts
    }

    /// A page of the run's rows in `states` after `seq`, in order, as work for the engine.
    /// With `unconfirmed`, only those not yet final on the device, or whose secret is
    /// still to deliver.
    func jobs(runID: String, states: [DispatchState], after seq: Int64, limit: Int, actor: String,
              unconfirmed: Bool = false) throws -> [DispatchJob] {
        // a cursor, not fetchAll: a copied row finds a column by name by lowercasing every
        // column name before it, about 900 allocations per dispatches row; the cursor's row
        // looks names up in a dictionary
        let rows = try Row.fetchCursor(db, sql: """
            SELECT d.*, v.management AS device_management
            FROM dispatches d LEFT JOIN devices v ON v.tenant = d.tenant AND v.device_id = d.device_id
            WHERE d.run_id = ? AND d.seq > ? AND d.state IN (\(Self.list(states)))
            \(unconfirmed ? """
                AND (d.device_state IS NULL OR d.device_state IN ('pending', 'active')
                     OR (d.secret IS NOT NULL AND d.secret_delivered_at IS NULL AND d.last_error IS NULL))
                """ : "")
            ORDER BY d.seq LIMIT ?
            """, arguments: [runID, seq, limit == Int.max ? -1 : limit])
        var jobs: [DispatchJob] = []
        while let row = try rows.next() {
            let management = (row["device_management"] as String?).flatMap(Management.init(rawValue:))
            if let job = DispatchJob(DispatchRecord(row: row), management: management, runActor: actor) { jobs.append(job) }
        }
        return jobs
    }

    /// `'a', 'b'`: state names for an `IN (...)` list (enum values, never user input).
    static func list(_ states: [DispatchState]) -> String {
        states.map { "'\($0.rawValue)'" }.joined(separator: ", ")
    }
}

/// A new run's row, before its dispatches.
struct NewRun {
    var id: String
    var batch: BatchFileInfo
    var actor: String
    var startedAt: Date
    var options: String
    var ruleSet: String
    var service: ServiceIdentity
}

/// One (request, device) of a new run, as inserted.
struct NewDispatch {
    var item: PlanItem
    var state: DispatchState
    var reason: ReasonCode?
    var idempotencyKey: String?
}

extension StoreWriter {
    /// Inserts a new run in the state `running` (its counts come later, from `setRunCounts`).
    func insertRun(_ run: NewRun) throws {
        try db.execute(sql: """
            INSERT INTO runs (id, batch_name, batch_sha256, state, actor, started_at, options, requests, targets, rule_set, service)
            VALUES (?, ?, ?, 'running', ?, ?, ?, 0, 0, ?, ?)
            """, arguments: [run.id, run.batch.name, run.batch.sha256, run.actor, ISOTimestamp.formatMillis(run.startedAt),
                             run.options, run.ruleSet, run.service.key])
    }

    func setRunCounts(runID: String, requests: Int, targets: Int) throws {
        try db.execute(sql: "UPDATE runs SET requests = ?, targets = ? WHERE id = ?", arguments: [requests, targets, runID])
    }

    func setRunState(runID: String, _ state: RunState, finishedAt: Date?) throws {
        try db.execute(sql: "UPDATE runs SET state = ?, finished_at = ? WHERE id = ?",
                       arguments: [state.rawValue, finishedAt.map(ISOTimestamp.formatMillis), runID])
    }

    /// A prepared insert of the dispatches of `runID`, numbered from 1 in plan order.
    func dispatchInserter(runID: String, queuedAt: Date) throws -> DispatchInserter {
        try DispatchInserter(db: db, runID: runID, queuedAt: ISOTimestamp.formatMillis(queuedAt))
    }
}

/// Inserts a new run's dispatches with one prepared statement.
final class DispatchInserter {
    private let db: Database
    private let statement: RawStatement
    private let runID: String
    private let queuedAt: String
    private(set) var seq: Int64 = 0

    fileprivate init(db: Database, runID: String, queuedAt: String) throws {
        self.db = db
        self.runID = runID
        self.queuedAt = queuedAt
        statement = try RawStatement(db, sql: """
            INSERT INTO dispatches (run_id, seq, line, request_id, action, target, device_id, platform, reason, detail,
                warnings, temporary_passcode, secret, requested_by, justification, ticket, idempotency_key, state, queued_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
    }

    /// Inserts the next element; its state must be one `planned` moves to.
    func insert(_ dispatch: NewDispatch) throws {
        precondition(DispatchState.planned.canMove(to: dispatch.state), "a new dispatch cannot start \(dispatch.state)")
        seq += 1
        let item = dispatch.item
        statement.bind(1, runID)
        statement.bind(2, seq)
        statement.bind(3, Int64(item.line))
        statement.bind(4, item.requestID)
        statement.bind(5, item.actionName)
        statement.bind(6, item.target)
        statement.bind(7, item.deviceID)
        statement.bind(8, item.platform?.storedValue)
        statement.bind(9, dispatch.reason?.rawValue)
        statement.bind(10, item.verdict.detail)
        statement.bind(11, item.verdict.warnings.isEmpty ? nil : item.verdict.warnings.map(\.rawValue).joined(separator: ","))
        statement.bind(12, Int64(item.verdict.temporaryPasscode ? 1 : 0))
        statement.bind(13, item.secret?.rawValue)
        statement.bind(14, item.requestedBy)
        statement.bind(15, item.justification)
        statement.bind(16, item.ticket)
        statement.bind(17, dispatch.idempotencyKey)
        statement.bind(18, dispatch.state.rawValue)
        statement.bind(19, queuedAt)
        try statement.execute(db)
    }
}
