import Foundation
import GRDB

/// What `audit verify` found wrong, at the first bad row.
public struct AuditProblem: Error, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case missingRows = "missing rows"
        case brokenLink = "broken link"
        case changedRow = "changed row"
        case badCheckpoint = "bad checkpoint"
        case badSignature = "bad signature"
        case unsignedCheckpoint = "unsigned checkpoint"
        case truncatedTail = "truncated tail"
    }
    public var seq: Int64
    public var kind: Kind
    public var message: String

    public var description: String { "audit row \(seq): \(kind.rawValue): \(message)" }
}

/// What an intact chain holds.
public struct AuditVerification: Sendable, Equatable {
    public var rows = 0
    public var checkpoints = 0
    public var signedCheckpoints = 0
    public var headSeq: Int64 = 0
    public var head = AuditLog.genesisHash
    /// Rows after the last checkpoint (a run in progress, or one that crashed).
    public var unsealedRows = 0
}

/// Recomputes the whole chain, row by row (streamed), and checks every checkpoint and
/// signature; then cross-checks the tail against the runs and imports it must cover.
public enum AuditVerifier {
    public static func verify(_ db: Database, publicKey: AuditPublicKey? = nil) throws -> Result<AuditVerification, AuditProblem> {
        var result = AuditVerification()
        var previous = AuditLog.genesisHash
        var expected: Int64 = 1
        let rows = try Row.fetchCursor(db, sql: """
            SELECT seq, at, run_id, actor, event, device_id, action, outcome, reason, detail, prev_hash, hash
            FROM audit_log ORDER BY seq
            """)
        while let row = try rows.next() {
            let seq: Int64 = row[0]
            if seq != expected {
                return .failure(AuditProblem(seq: expected, kind: .missingRows,
                                             message: "rows \(expected)…\(seq - 1) are missing (the next row is \(seq))"))
            }
            let fields: [String?] = [String(seq), row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9]]
            let prevHash: String = row[10]
            let hash: String = row[11]
            if prevHash != previous {
                return .failure(AuditProblem(seq: seq, kind: .brokenLink,
                                             message: "prev_hash does not match the hash of row \(seq - 1): rows removed, reordered or altered"))
            }
            let computed = AuditLog.chainHash(prevHash: previous, fields: fields)
            if computed != hash {
                return .failure(AuditProblem(seq: seq, kind: .changedRow,
                                             message: "its hash does not match its contents: the row was changed or moved"))
            }
            if (fields[4] ?? "") == "checkpoint" {
                if let problem = check(checkpoint: seq, detail: fields[9] ?? "", previous: previous, publicKey: publicKey,
                                       requireSignature: publicKey != nil && result.signedCheckpoints > 0) {
                    return .failure(problem)
                }
                result.checkpoints += 1
                if (fields[9] ?? "").contains("\"signature\"") { result.signedCheckpoints += 1 }
                result.unsealedRows = 0
            } else {
                result.unsealedRows += 1
            }
            previous = hash
            expected = seq + 1
            result.rows += 1
        }
        result.headSeq = expected - 1
        result.head = previous
        if publicKey != nil && result.signedCheckpoints == 0 && result.checkpoints > 0 {
            return .failure(AuditProblem(seq: result.headSeq, kind: .unsignedCheckpoint,
                                         message: "a public key was given but no checkpoint is signed"))
        }
        if let problem = try checkTail(db, headSeq: result.headSeq) { return .failure(problem) }
        return .success(result)
    }

    /// - Parameter requireSignature: a signed checkpoint came before (signing, once begun, goes on).
    private static func check(checkpoint seq: Int64, detail: String, previous: String, publicKey: AuditPublicKey?,
                              requireSignature: Bool) -> AuditProblem? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(detail.utf8)) as? [String: Any],
              let head = object["head"] as? String, let headSeq = (object["head_seq"] as? NSNumber)?.int64Value else {
            return AuditProblem(seq: seq, kind: .badCheckpoint, message: "its detail does not name the head it seals")
        }
        guard head == previous && headSeq == seq - 1 else {
            return AuditProblem(seq: seq, kind: .badCheckpoint, message: "it seals row \(headSeq) with a head that is not the chain's")
        }
        let message = AuditLog.checkpointMessage(seq: seq, headSeq: headSeq, head: head)
        guard let signature = object["signature"] as? String else {
            return requireSignature ? AuditProblem(seq: seq, kind: .unsignedCheckpoint,
                                                   message: "unsigned, after signed checkpoints (signatures stripped?)") : nil
        }
        let key: AuditPublicKey
        if let publicKey {
            key = publicKey
        } else if let embedded = object["public_key"] as? String, let parsed = try? AuditPublicKey(base64: embedded, source: "row") {
            key = parsed
        } else {
            return AuditProblem(seq: seq, kind: .badSignature, message: "signed, but names no usable public key")
        }
        return key.verify(signature: signature, message: message) ? nil
            : AuditProblem(seq: seq, kind: .badSignature, message: "the signature does not verify"
                           + (publicKey == nil ? " with the key it names" : " with the given public key"))
    }

    /// A tail cut off after the last checkpoint leaves a consistent chain; what it cannot
    /// hide is the runs and imports the database still records: each ended run must have
    /// the row recording its end, and each import its row.
    private static func checkTail(_ db: Database, headSeq: Int64) throws -> AuditProblem? {
        if let run = try String.fetchOne(db, sql: """
            SELECT r.id FROM runs r WHERE r.state != 'running' AND NOT EXISTS (
                SELECT 1 FROM audit_log a WHERE a.run_id = r.id AND a.event = CASE r.state WHEN 'finished' THEN 'run_finished'
                                                                                         ELSE 'run_interrupted' END)
            ORDER BY r.started_at LIMIT 1
            """) {
            return AuditProblem(seq: headSeq + 1, kind: .truncatedTail,
                                message: "run \(run) ended, but the row recording its end is gone: the log ends at row \(headSeq)")
        }
        let imports = try Int.fetchOne(db, sql: "SELECT count(*) FROM imports") ?? 0
        let imported = try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_log WHERE event = 'import'") ?? 0
        if imported < imports {
            return AuditProblem(seq: headSeq + 1, kind: .truncatedTail,
                                message: "\(imports) imports are recorded but only \(imported) in the log: it ends at row \(headSeq)")
        }
        return nil
    }
}
