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
        db = writer.db
        signer = writer.signer
        let last = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
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
        let fields: [String?] = [String(seq), at, event.runID, event.actor, event.event, event.deviceID,
                                 event.action, event.outcome, event.reason, detail]
        let hash = AuditLog.chainHash(prevHash: head, fields: fields)
        let values: [String?] = [at, event.runID, event.actor, event.event, event.deviceID, event.action, event.outcome,
                                 event.reason, detail, head, hash]
        insert.bind(1, seq)
        for (offset, value) in values.enumerated() { insert.bind(Int32(offset + 2), value) }
        try insert.execute(db)
        head = hash
        return seq
    }

    /// Appends a checkpoint sealing the chain as it stands: detail `head` (the hash of the
    /// row before it), `head_seq`, and with the database's signer `public_key` and `signature`.
    @discardableResult
    public mutating func appendCheckpoint(actor: String, runID: String?, at time: Date) throws -> Int64 {
        let detail = try AuditLog.checkpointDetail(headSeq: seq, head: head, signer: signer)
        return try append(AuditEvent(event: "checkpoint", actor: actor, runID: runID, outcome: "sealed", detail: detail), at: time)
    }
}

extension StoreWriter {
    /// An appender for this transaction.
    public func auditAppender() throws -> AuditAppender { try AuditAppender(self) }

    /// Appends `event`, then, with `checkpoint`, a checkpoint sealing the chain; returns
    /// the event's sequence number.
    @discardableResult
    public func appendAudit(_ event: AuditEvent, at time: Date, checkpoint: Bool = false) throws -> Int64 {
        var appender = try auditAppender()
        let seq = try appender.append(event, at: time)
        if checkpoint { try appender.appendCheckpoint(actor: event.actor, runID: event.runID, at: time) }
        return seq
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
        let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
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
                SELECT 1 FROM audit_log a WHERE a.run_id = r.id AND a.event = CASE r.state WHEN 'finished' THEN 'run_finished'
                                                                                         ELSE 'run_interrupted' END)
            ORDER BY r.started_at LIMIT 1
            """)
    }

    /// Imports recorded in `imports`, and import rows in the audit log.
    public func importCounts() throws -> (recorded: Int, audited: Int) {
        (try Int.fetchOne(db, sql: "SELECT count(*) FROM imports") ?? 0,
         try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_log WHERE event = 'import'") ?? 0)
    }

    /// True when the audit log table exists (a dropped table is tampering, not a bug).
    public func auditLogExists() throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'") ?? false
    }
}
