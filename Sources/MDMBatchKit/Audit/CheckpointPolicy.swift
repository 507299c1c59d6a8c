import Foundation

/// Whether an append seals the chain with a checkpoint, and what it does in a database
/// whose checkpoints are signed when this process has no signing key. Once a database
/// holds a signed checkpoint, no command adds an unsigned one: the trail cannot be
/// quietly weakened by a job that lost its key.
public enum CheckpointPolicy: Sendable, Equatable {
    /// No checkpoint: a row inside a longer operation, sealed at its end.
    case none
    /// A checkpoint, always. Without the key a signed database needs, refused
    /// (`AuditTrailError.signingKeyRequired`, exit 78) and, the transaction rolled back,
    /// nothing is written. For the commands that change what the trail attests: `import`,
    /// `run`, `confirm`.
    case required
    /// A checkpoint when it can be signed as the database needs; without the key, the
    /// rows stay unsealed until the next signed command seals them with its own
    /// checkpoint. For `plan` and `audit export`, which an auditor holding only the
    /// public key must still be able to use.
    case whenSignable
}

/// The audit trail cannot take the rows asked of it.
public enum AuditTrailError: LocalizedError, ClassifiedError, Equatable {
    /// This database's checkpoints are signed (the latest by the key with this
    /// fingerprint) and no signing key was given.
    case signingKeyRequired(fingerprint: String)
    /// The `audit_log` table is gone: the trail was dropped.
    case missing

    public var errorDescription: String? {
        switch self {
        case .signingKeyRequired(let fingerprint):
            "this database's checkpoints are signed: pass --signing-key FILE or set MDMBATCH_SIGNING_KEY "
                + "(its latest checkpoint is signed by key \(fingerprint))"
        case .missing:
            "audit_log missing: this database's audit trail was dropped (tampering, or a damaged file); "
                + "mdmbatch audit verify reports it too"
        }
    }

    public var failureKind: FailureKind {
        switch self {
        case .signingKeyRequired: .configuration
        case .missing: .dataError
        }
    }
}
