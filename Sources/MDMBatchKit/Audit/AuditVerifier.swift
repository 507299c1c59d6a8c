import Foundation

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
    /// `audit verify`: the whole chain of `database`.
    public static func verify(_ database: AppDatabase, publicKey: AuditPublicKey? = nil) throws -> Result<AuditVerification, AuditProblem> {
        try database.read { try verify($0, publicKey: publicKey) }
    }

    public static func verify(_ reader: StoreReader, publicKey: AuditPublicKey? = nil) throws -> Result<AuditVerification, AuditProblem> {
        var result = AuditVerification()
        var previous = AuditLog.genesisHash
        var expected: Int64 = 1
        var problem: AuditProblem?
        struct Stop: Error {}
        do {
            try reader.forEachAuditRecord { record in
                let seq = record.seq
                if seq != expected {
                    problem = AuditProblem(seq: expected, kind: .missingRows,
                                           message: "rows \(expected)…\(seq - 1) are missing (the next row is \(seq))")
                    throw Stop()
                }
                if record.prevHash != previous {
                    problem = AuditProblem(seq: seq, kind: .brokenLink,
                                           message: "prev_hash does not match the hash of row \(seq - 1): rows removed, reordered or altered")
                    throw Stop()
                }
                if AuditLog.chainHash(prevHash: previous, fields: record.chainFields) != record.hash {
                    problem = AuditProblem(seq: seq, kind: .changedRow,
                                           message: "its hash does not match its contents: the row was changed or moved")
                    throw Stop()
                }
                if record.event == "checkpoint" {
                    if let bad = check(checkpoint: seq, detail: record.detail, previous: previous, publicKey: publicKey,
                                       requireSignature: publicKey != nil && result.signedCheckpoints > 0) {
                        problem = bad
                        throw Stop()
                    }
                    result.checkpoints += 1
                    if record.detail.contains("\"signature\"") { result.signedCheckpoints += 1 }
                    result.unsealedRows = 0
                } else {
                    result.unsealedRows += 1
                }
                previous = record.hash
                expected = seq + 1
                result.rows += 1
            }
        } catch is Stop {
            return .failure(problem!)
        }
        result.headSeq = expected - 1
        result.head = previous
        if publicKey != nil && result.signedCheckpoints == 0 && result.checkpoints > 0 {
            return .failure(AuditProblem(seq: result.headSeq, kind: .unsignedCheckpoint,
                                         message: "a public key was given but no checkpoint is signed"))
        }
        if let problem = try checkTail(reader, headSeq: result.headSeq) { return .failure(problem) }
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
    private static func checkTail(_ reader: StoreReader, headSeq: Int64) throws -> AuditProblem? {
        if let run = try reader.runEndedWithoutItsAuditRow() {
            return AuditProblem(seq: headSeq + 1, kind: .truncatedTail,
                                message: "run \(run) ended, but the row recording its end is gone: the log ends at row \(headSeq)")
        }
        let imports = try reader.importCounts()
        if imports.audited < imports.recorded {
            return AuditProblem(seq: headSeq + 1, kind: .truncatedTail,
                                message: "\(imports.recorded) imports are recorded but only \(imports.audited) in the log: it ends at row \(headSeq)")
        }
        return nil
    }
}
