import Foundation
import GRDB

/// Appends many audit rows in one transaction: reads the chain head once, then chains in
/// memory. Make one per transaction (another process may append between two).
public struct AuditAppender {
    private let db: Database
    private let signer: AuditSigner?
    private let insert: RawStatement
    private var seq: Int64
    private var head: String

    init(_ writer: StoreWriter) throws {
        let db = writer.db
        self.db = db
        signer = writer.signer
        let last = try writer.reader.onAuditLog { try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1") }
        seq = last?["seq"] ?? 0
        head = last?["hash"] ?? AuditLog.genesisHash
        insert = try RawStatement(cached: db, sql: """
            INSERT INTO audit_log (seq, at, run_id, actor, event, device_id, action, outcome, reason, detail, prev_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
    }

    /// The last row's seq and hash (0 and 64 zeros for an empty log).
    public var chainHead: (seq: Int64, hash: String) { (seq, head) }

    @discardableResult
    public mutating func append(_ event: AuditEvent, at time: Date) throws -> Int64 {
        seq += 1
        let at = ISOTimestamp.formatMillis(time)
        let detail = JSONValue.object(event.detail).canonicalText
        let columns = event.columns
        let fields: [String?] = [String(seq), at, event.runID, event.actor, columns.event, event.deviceID,
                                 columns.action, columns.outcome, columns.reason, detail]
        let hash = AuditLog.chainHash(prevHash: head, fields: fields)
        let values: [String?] = Array(fields.dropFirst()) + [head, hash]
        insert.bind(1, seq)
        for (offset, value) in values.enumerated() { insert.bind(Int32(offset + 2), value) }
        try insert.execute(db)
        head = hash
        return seq
    }

    /// Appends, as `policy` says, a checkpoint sealing the chain as it stands: detail `head`
    /// (the hash of the row before it), `head_seq`, and with the database's signer
    /// `public_key` and `signature`. Returns its seq, or nil when none was appended (`.none`,
    /// or `.whenSignable` without the key a signed database needs); throws
    /// `AuditTrailError.signingKeyRequired` for `.required` without that key.
    @discardableResult
    public mutating func appendCheckpoint(actor: String, runID: String?, at time: Date,
                                          policy: CheckpointPolicy = .required) throws -> Int64? {
        guard try StoreReader(db: db).mayAppendCheckpoint(policy, signer: signer) else { return nil }
        let detail = try AuditLog.checkpointDetail(headSeq: seq, head: head, signer: signer)
        return try append(.checkpoint(actor: actor, runID: runID, detail: detail), at: time)
    }
}

extension StoreWriter {
    /// An appender for this transaction.
    public func auditAppender() throws -> AuditAppender { try AuditAppender(self) }

    /// Appends `event`, then a checkpoint as `checkpoint` says; returns the event's
    /// sequence number. A refused checkpoint (`.required` without the key a signed
    /// database needs) throws, and the transaction, rolled back, leaves nothing behind.
    @discardableResult
    public func appendAudit(_ event: AuditEvent, at time: Date, checkpoint: CheckpointPolicy = .none) throws -> Int64 {
        var appender = try auditAppender()
        let seq = try appender.append(event, at: time)
        try appender.appendCheckpoint(actor: event.actor, runID: event.runID, at: time, policy: checkpoint)
        return seq
    }

    /// Refuses now, in this transaction, what a checkpoint appended under `policy` at the
    /// end would refuse: the first call of a command that must seal what it writes
    /// (`.required`), before it writes or sends anything.
    public func checkSealing(_ policy: CheckpointPolicy) throws {
        _ = try reader.mayAppendCheckpoint(policy, signer: signer)
    }
}

extension AppDatabase {
    /// This database, once checked (in a read, writing nothing) that a command appending
    /// its checkpoint under `policy` can: with `.required`, a database whose checkpoints
    /// are signed needs the signer (else `AuditTrailError.signingKeyRequired`, 78). For the
    /// command line, right after opening, so that `import` and `run` stop before they read
    /// a file or send anything; the append checks again in its own transaction.
    public func checkedForSealing(_ policy: CheckpointPolicy) throws -> AppDatabase {
        guard policy == .required, signer == nil else { return self }  // nothing else is ever refused
        _ = try read { try $0.mayAppendCheckpoint(policy, signer: nil) }
        return self
    }
}

/// Which audit rows an export or a walk takes: `at` within [from, to] (ISO 8601 with
/// milliseconds, compared as UTC text), and one run.
public struct AuditExportFilter: Sendable, Equatable {
    public var from: String?
    public var to: String?
    public var runID: String?

    public init(from: String? = nil, to: String? = nil, runID: String? = nil) {
        self.from = from
        self.to = to
        self.runID = runID
    }

    var json: JSONValue {
        .object(["from": from.map(JSONValue.string) ?? .null, "to": to.map(JSONValue.string) ?? .null,
                 "run": runID.map(JSONValue.string) ?? .null])
    }
}

extension StoreReader {
    /// Whether a checkpoint may be appended under `policy` by a process holding `signer`:
    /// false for `.none`, and for `.whenSignable` in a signed database without the
    /// signer; `.required` there throws. A database is signed when its latest checkpoint
    /// is: signed checkpoints are only ever followed by signed ones (`audit verify` fails
    /// a chain where they are not), so the latest tells, read backwards from the end over
    /// the rows it has not sealed yet and never over the whole log.
    func mayAppendCheckpoint(_ policy: CheckpointPolicy, signer: AuditSigner?) throws -> Bool {
        if policy == .none { return false }
        guard signer == nil, let latest = try latestCheckpointDetail() else { return true }
        let seal = CheckpointSeal(detail: latest)
        // a checkpoint whose detail is not one (tampered with) is taken as signed: refusing is the safe side
        guard seal?.isSigned ?? true else { return true }
        if policy == .required { throw AuditTrailError.signingKeyRequired(fingerprint: seal?.fingerprint ?? "?") }
        return false
    }

    /// The detail of the last checkpoint row, nil when there is none.
    func latestCheckpointDetail() throws -> String? {
        try onAuditLog {
            try String.fetchOne(db, sql: "SELECT detail FROM audit_log WHERE event = ? ORDER BY seq DESC LIMIT 1",
                                arguments: [AuditEventKind.checkpoint.rawValue])
        }
    }

    /// Runs `body`, a statement on `audit_log`; when it fails because the table is gone,
    /// throws `AuditTrailError.missing` instead of SQLite's error.
    func onAuditLog<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            if try !auditLogExists() { throw AuditTrailError.missing }
            throw error
        }
    }

    /// Every audit row matching `filter`, in `seq` order, streamed.
    public func forEachAuditRecord(_ filter: AuditExportFilter = AuditExportFilter(),
                                   _ each: (AuditRecord) throws -> Void) throws {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let from = filter.from { conditions.append("at >= ?"); arguments += [from] }
        if let to = filter.to { conditions.append("at <= ?"); arguments += [to] }
        if let run = filter.runID { conditions.append("run_id = ?"); arguments += [run] }
        let sql = "SELECT seq, at, run_id, actor, event, device_id, action, outcome, reason, detail, prev_hash, hash FROM audit_log"
            + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")) + " ORDER BY seq"
        let rows = try onAuditLog { try Row.fetchCursor(db, sql: sql, arguments: arguments) }
        while let row = try rows.next() {
            try each(AuditRecord(seq: row[0], at: row[1], runID: row[2], actor: row[3], event: row[4], deviceID: row[5],
                                 action: row[6], outcome: row[7], reason: row[8], detail: row[9], prevHash: row[10],
                                 hash: row[11]))
        }
    }

    /// The first run that ended (finished or interrupted) but whose row recording the end
    /// is not in the log.
    public func runEndedWithoutItsAuditRow() throws -> String? {
        try String.fetchOne(db, sql: """
            SELECT r.id FROM runs r WHERE r.state != 'running' AND NOT EXISTS (
                SELECT 1 FROM audit_log a WHERE a.run_id = r.id AND a.event = CASE r.state WHEN 'finished' THEN :finished
                                                                                         ELSE :interrupted END)
            ORDER BY r.started_at LIMIT 1
            """, arguments: ["finished": AuditEventKind.runEnded(.finished).rawValue,
                             "interrupted": AuditEventKind.runEnded(.interrupted).rawValue])
    }

    /// Imports recorded in `imports`, and import rows in the audit log.
    public func importCounts() throws -> (recorded: Int, audited: Int) {
        (try Int.fetchOne(db, sql: "SELECT count(*) FROM imports") ?? 0,
         try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_log WHERE event = ?", arguments: [AuditEventKind.import.rawValue]) ?? 0)
    }

    /// True when the audit log table exists (a dropped table is tampering, not a bug).
    public func auditLogExists() throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'") ?? false
    }
}
