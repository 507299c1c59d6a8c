import Foundation
import GRDB

/// A secret claimed by its element and not yet marked delivered (DESIGN.md, "Secrets exactly
/// once"): whose line to look for, and in which file.
struct OpenSecretClaim: Sendable, Equatable {
    var runID: String
    var seq: Int64
    var deviceID: String
    var requestID: String?
    var line: Int
    var action: Action
    var kind: SecretKind
    var claim: SecretClaim
}

extension StoreReader {
    /// Every claim without a mark, in every run: left by a process that died between the
    /// claim and the mark (the caller holds the run lock, so no live one is delivering).
    func openSecretClaims() throws -> [OpenSecretClaim] {
        try Row.fetchAll(db, sql: """
            SELECT run_id, seq, device_id, request_id, line, action, secret, secret_claim_path, secret_claim_inode
            FROM dispatches INDEXED BY dispatches_secret_claims
            WHERE secret_claim_path IS NOT NULL AND secret_delivered_at IS NULL ORDER BY run_id, seq
            """).compactMap { row in
            guard let action = Action(rawValue: row["action"]), let kind = SecretKind(rawValue: row["secret"] ?? "") else { return nil }
            return OpenSecretClaim(runID: row["run_id"], seq: row["seq"], deviceID: row["device_id"], requestID: row["request_id"],
                                   line: row["line"], action: action, kind: kind,
                                   claim: SecretClaim(path: row["secret_claim_path"], inode: UInt64(row["secret_claim_inode"] as Int64)))
        }
    }
}

extension StoreWriter {
    /// The claimed secrets of `seqs` reached their file: marked delivered, the claims dropped.
    func markSecretsDelivered(runID: String, seqs: [Int64], at now: Date) throws {
        let mark = try RawStatement(cached: db, sql: """
            UPDATE dispatches SET secret_delivered_at = coalesce(secret_delivered_at, ?3), secret_claim_path = NULL,
                secret_claim_inode = NULL
            WHERE run_id = ?1 AND seq = ?2 AND secret_claim_path IS NOT NULL
            """)
        let time = ISOTimestamp.formatMillis(now)
        for seq in seqs {
            mark.bind(1, runID)
            mark.bind(2, seq)
            mark.bind(3, time)
            try mark.execute(db)
        }
    }

    /// A claim left without a mark, resolved: its line found in the claimed file (marked
    /// delivered), or not (the claim dropped: the secret is delivered again).
    func resolveSecretClaim(_ claim: OpenSecretClaim, found: Bool, at now: Date) throws {
        if found {
            try markSecretsDelivered(runID: claim.runID, seqs: [claim.seq], at: now)
        } else {
            try db.execute(sql: """
                UPDATE dispatches SET secret_claim_path = NULL, secret_claim_inode = NULL
                WHERE run_id = ? AND seq = ? AND secret_delivered_at IS NULL
                """, arguments: [claim.runID, claim.seq])
        }
    }
}

extension SecretHandOver.Recording {
    /// The columns of an element whose secret this commit hands over: `secret_delivered_at`
    /// (delivered at `time`), or the claim's `secret_claim_path` and `secret_claim_inode`.
    func columns(at time: String) -> [String?] {
        switch self {
        case .none: [nil, nil, nil]
        case .delivered: [time, nil, nil]
        case .claimed(let claim): [nil, claim.path, String(claim.inode)]
        }
    }
}
