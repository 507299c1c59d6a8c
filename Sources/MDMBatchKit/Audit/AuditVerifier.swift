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
        /// Row SEQ of `--expect-head` has another hash.
        case replacedHistory = "replaced history"
        /// The `audit_log` table is gone.
        case missingLog = "audit_log missing"
    }
    public var seq: Int64
    public var kind: Kind
    public var message: String

    public var description: String {
        kind == .missingLog ? "\(kind.rawValue): \(message)" : "audit row \(seq): \(kind.rawValue): \(message)"
    }
}

/// How many checkpoints one key signed.
public struct AuditKeyCount: Sendable, Equatable {
    /// The first 16 hex digits of the SHA-256 of the raw public key.
    public var fingerprint: String
    public var checkpoints: Int
}

/// What an intact chain holds.
public struct AuditVerification: Sendable, Equatable {
    public var rows = 0
    public var checkpoints = 0
    public var signedCheckpoints = 0
    /// Every key that signed a checkpoint, in the order first seen.
    public var signers: [AuditKeyCount] = []
    public var headSeq: Int64 = 0
    public var head = AuditLog.genesisHash
    /// Rows after the last checkpoint: a run in progress or cut short, or plan and
    /// export rows written without the key a signed database needs, left for the next
    /// signed command to seal.
    public var unsealedRows = 0

    /// The head, to keep elsewhere and pass back as `--expect-head`.
    public var chainHead: AuditHead { AuditHead(seq: headSeq, hash: head) }

    mutating func counted(signedBy fingerprint: String) {
        signedCheckpoints += 1
        if let index = signers.firstIndex(where: { $0.fingerprint == fingerprint }) {
            signers[index].checkpoints += 1
        } else {
            signers.append(AuditKeyCount(fingerprint: fingerprint, checkpoints: 1))
        }
    }
}

/// Recomputes the whole chain, row by row (streamed), and checks every checkpoint and
/// signature; then cross-checks the tail against the runs and imports it must cover, and
/// against the head a previous verify printed, when given.
///
/// The rules: `seq` has no gap; each row's `prev_hash` is the previous row's hash (64
/// zeros for row 1) and its `hash` the hash of its own contents; each checkpoint seals
/// the row just before it (`head_seq`, `head`). A signed checkpoint names its public key
/// and its signature verifies with it; once a checkpoint is signed, every later one is.
/// With a public key, every signed checkpoint names that key (so every checkpoint from the
/// first signed one on is signed by it), and at least one is.
public enum AuditVerifier {
    /// `audit verify`: the whole chain of `database`.
    public static func verify(_ database: AppDatabase, publicKey: AuditPublicKey? = nil,
                              expectHead: AuditHead? = nil) throws -> Result<AuditVerification, AuditProblem> {
        try database.read { try verify($0, publicKey: publicKey, expectHead: expectHead) }
    }

    public static func verify(_ reader: StoreReader, publicKey: AuditPublicKey? = nil,
                              expectHead: AuditHead? = nil) throws -> Result<AuditVerification, AuditProblem> {
        guard try reader.auditLogExists() else {
            return .failure(AuditProblem(seq: 0, kind: .missingLog,
                                         message: "the table holding the audit trail was dropped: the trail is gone"))
        }
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
                if let expectHead, seq == expectHead.seq, record.hash != expectHead.hash {
                    problem = AuditProblem(seq: seq, kind: .replacedHistory, message: """
                        its hash is \(record.hash), not the expected head \(expectHead.hash): the history up to it was \
                        changed or replaced (rows removed, and others appended in their place)
                        """)
                    throw Stop()
                }
                if AuditEventKind(rawValue: record.event) == .checkpoint {
                    switch check(checkpoint: seq, detail: record.detail, previous: previous, publicKey: publicKey,
                                 signedBefore: result.signers) {
                    case .failure(let bad):
                        problem = bad
                        throw Stop()
                    case .success(let signedBy):
                        if let signedBy { result.counted(signedBy: signedBy) }
                    }
                    result.checkpoints += 1
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
        if let expectHead, result.headSeq < expectHead.seq {
            return .failure(AuditProblem(seq: result.headSeq + 1, kind: .truncatedTail,
                                         message: "the log ends at row \(result.headSeq), the expected head is row \(expectHead.seq)"))
        }
        if let publicKey, result.signedCheckpoints == 0 {
            return .failure(AuditProblem(seq: result.headSeq, kind: .unsignedCheckpoint,
                                         message: "the public key \(publicKey.fingerprint) was given but no checkpoint is signed"))
        }
        if let problem = try checkTail(reader, headSeq: result.headSeq) { return .failure(problem) }
        return .success(result)
    }

    /// Checks a checkpoint; returns the fingerprint of the key that signed it, nil when unsigned.
    /// - Parameter signedBefore: the keys of the signed checkpoints before it (signing, once begun, goes on).
    private static func check(checkpoint seq: Int64, detail: String, previous: String, publicKey: AuditPublicKey?,
                              signedBefore: [AuditKeyCount]) -> Result<String?, AuditProblem> {
        guard let seal = CheckpointSeal(detail: detail) else {
            return .failure(AuditProblem(seq: seq, kind: .badCheckpoint, message: "its detail does not name the head it seals"))
        }
        guard seal.head == previous && seal.headSeq == seq - 1 else {
            return .failure(AuditProblem(seq: seq, kind: .badCheckpoint,
                                         message: "it seals row \(seal.headSeq) with a head that is not the chain's"))
        }
        guard let signature = seal.signature else {
            guard signedBefore.isEmpty else {
                let keys = signedBefore.map(\.fingerprint).joined(separator: ", ")
                return .failure(AuditProblem(seq: seq, kind: .unsignedCheckpoint, message: """
                    unsigned, after checkpoints signed by key \(keys) (signatures stripped, or written without the key)
                    """))
            }
            return .success(nil)
        }
        guard let named = seal.publicKey, let key = try? AuditPublicKey(base64: named, source: "row") else {
            return .failure(AuditProblem(seq: seq, kind: .badSignature, message: "signed, but names no usable public key"))
        }
        if let publicKey, key != publicKey {
            return .failure(AuditProblem(seq: seq, kind: .badSignature,
                                         message: "signed by key \(key.fingerprint), not by the given key \(publicKey.fingerprint)"))
        }
        let message = AuditLog.checkpointMessage(seq: seq, headSeq: seal.headSeq, head: seal.head)
        guard key.verify(signature: signature, message: message) else {
            return .failure(AuditProblem(seq: seq, kind: .badSignature,
                                         message: "the signature does not verify with the key it names (\(key.fingerprint))"))
        }
        return .success(key.fingerprint)
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

/// A verify that found a problem ends 1; the command names the problem.
extension Result: CommandResult where Success == AuditVerification, Failure == AuditProblem {
    public var failure: FailureKind? {
        if case .failure = self { return .completedWithFailures }
        return nil
    }
}
