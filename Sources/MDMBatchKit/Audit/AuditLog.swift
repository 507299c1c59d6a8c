import Crypto
import Foundation
import GRDB

/// One event for the audit trail.
public struct AuditEvent: Sendable, Equatable {
    public var event: String
    public var actor: String
    public var runID: String?
    public var deviceID: String?
    public var action: String?
    public var outcome: String?
    public var reason: String?
    public var detail: [String: JSONValue]

    public init(event: String, actor: String, runID: String? = nil, deviceID: String? = nil, action: String? = nil,
                outcome: String? = nil, reason: String? = nil, detail: [String: JSONValue] = [:]) {
        self.event = event
        self.actor = actor
        self.runID = runID
        self.deviceID = deviceID
        self.action = action
        self.outcome = outcome
        self.reason = reason
        self.detail = detail
    }
}

/// The append-only audit trail. Each row is chained to the one before it:
/// `hash = SHA-256(prev_hash ‖ canonical row)`, the first row's `prev_hash` being
/// 64 zeros. The canonical row is the fields `seq, at, run_id, actor, event, device_id,
/// action, outcome, reason, detail`, each written as `<byte length>:<UTF-8 bytes>;`,
/// or `~;` for NULL (see README, "Audit trail").
public enum AuditLog {
    public static let genesisHash = String(repeating: "0", count: 64)

    /// Appends `event` inside the caller's transaction, then, with `checkpoint`, a
    /// checkpoint sealing the chain; returns the event's sequence number.
    @discardableResult
    public static func append(_ event: AuditEvent, at time: Date, in db: Database, checkpoint: Bool = false) throws -> Int64 {
        var appender = try AuditAppender(db)
        let seq = try appender.append(event, at: time)
        if checkpoint { try appender.appendCheckpoint(actor: event.actor, runID: event.runID, at: time) }
        return seq
    }

    /// The canonical encoding of a row's fields.
    public static func canonicalEncoding(_ fields: [String?]) -> [UInt8] {
        var bytes: [UInt8] = []
        for field in fields {
            if let field {
                bytes.append(contentsOf: "\(field.utf8.count):".utf8)
                bytes.append(contentsOf: field.utf8)
            } else {
                bytes.append(UInt8(ascii: "~"))
            }
            bytes.append(UInt8(ascii: ";"))
        }
        return bytes
    }

    public static func chainHash(prevHash: String, fields: [String?]) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(prevHash.utf8))
        hasher.update(data: canonicalEncoding(fields))
        return hexString(hasher.finalize())
    }
}

/// Appends many rows in one transaction: reads the chain head once, then chains in
/// memory. Make one per transaction (another process may append between two).
public struct AuditAppender {
    private let db: Database
    private let insert: RawStatement
    private var seq: Int64
    private var head: String

    public init(_ db: Database) throws {
        self.db = db
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
}

extension ISOTimestamp {
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, UTC.
    public static func formatMillis(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        let fraction = Int(millis - seconds * 1000)
        return format(epochSeconds: seconds, millis: fraction)
    }
}

private let hexDigits = Array("0123456789abcdef".utf8)

/// Lower-case hex of a digest.
func hexString(_ bytes: some Sequence<UInt8>) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(64)
    for byte in bytes {
        out.append(hexDigits[Int(byte >> 4)])
        out.append(hexDigits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}
