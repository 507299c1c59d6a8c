import Crypto
import Foundation
import Synchronization

/// The Ed25519 key that signs audit checkpoints. A key file is one line: the base64 of
/// the 32-byte raw private key; `FILE.pub` holds the base64 of the 32-byte public key.
public struct AuditSigner: Sendable {
    /// The raw key (kept as bytes: swift-crypto's key type is not Sendable).
    private let raw: Data
    private var key: Curve25519.Signing.PrivateKey { try! Curve25519.Signing.PrivateKey(rawRepresentation: raw) }

    public var publicKeyBase64: String { key.publicKey.rawRepresentation.base64EncodedString() }

    public init(keyFile path: String) throws {
        let text = try AuditKeyError.readKeyFile(path)
        guard let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)),
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw AuditKeyError.malformed(path, "expected one line: the base64 of a 32-byte Ed25519 private key")
        }
        self.raw = key.rawRepresentation
    }

    init(key: Curve25519.Signing.PrivateKey) { raw = key.rawRepresentation }

    /// A new key: (private key file text, public key file text).
    public static func generate() -> (privateKey: String, publicKey: String) {
        let key = Curve25519.Signing.PrivateKey()
        return (key.rawRepresentation.base64EncodedString() + "\n", key.publicKey.rawRepresentation.base64EncodedString() + "\n")
    }

    func sign(_ message: [UInt8]) throws -> String {
        try key.signature(for: message).base64EncodedString()
    }

    /// The signer checkpoints use in this process (set once, at start, by the command line).
    public static var current: AuditSigner? { configured.withLock { $0 } }

    public static func use(_ signer: AuditSigner?) { configured.withLock { $0 = signer } }

    private static let configured = Mutex<AuditSigner?>(nil)
}

/// A public key to verify checkpoint signatures with (`FILE.pub`: base64 of 32 bytes).
public struct AuditPublicKey: Sendable {
    private let raw: Data
    private var key: Curve25519.Signing.PublicKey { try! Curve25519.Signing.PublicKey(rawRepresentation: raw) }

    public init(file path: String) throws {
        let text = try AuditKeyError.readKeyFile(path)
        try self.init(base64: text.trimmingCharacters(in: .whitespacesAndNewlines), source: path)
    }

    init(base64: String, source: String) throws {
        guard let raw = Data(base64Encoded: base64), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
            throw AuditKeyError.malformed(source, "expected the base64 of a 32-byte Ed25519 public key")
        }
        self.raw = key.rawRepresentation
    }

    func verify(signature base64: String, message: [UInt8]) -> Bool {
        guard let signature = Data(base64Encoded: base64) else { return false }
        return key.isValidSignature(signature, for: message)
    }
}

public enum AuditKeyError: LocalizedError, ClassifiedError, Equatable {
    case unreadable(String, String)
    case malformed(String, String)

    static func readKeyFile(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw AuditKeyError.unreadable(path, (error as NSError).localizedDescription)
        }
    }

    public var errorDescription: String? {
        switch self {
        case .unreadable(let path, let reason): "\(path): cannot read the key: \(reason)"
        case .malformed(let path, let expected): "\(path): not a key: \(expected)"
        }
    }

    public var failureKind: FailureKind {
        switch self {
        case .unreadable: .noInput
        case .malformed: .usage
        }
    }
}

extension AuditLog {
    /// The bytes a checkpoint signs: the checkpoint's own seq and the chain head it seals.
    public static func checkpointMessage(seq: Int64, headSeq: Int64, head: String) -> [UInt8] {
        Array("mdmbatch audit checkpoint\n\(seq)\n\(headSeq)\n\(head)\n".utf8)
    }
}

extension AuditAppender {
    /// Appends a checkpoint sealing the chain as it stands: detail `head` (the hash of the
    /// row before it), `head_seq`, and with a signer `public_key` and `signature`.
    @discardableResult
    public mutating func appendCheckpoint(actor: String, runID: String?, at time: Date,
                                          signer: AuditSigner? = AuditSigner.current) throws -> Int64 {
        let (headSeq, head) = chainHead
        var detail: [String: JSONValue] = ["head": .string(head), "head_seq": .number(Double(headSeq))]
        if let signer {
            detail["public_key"] = .string(signer.publicKeyBase64)
            detail["signature"] = .string(try signer.sign(AuditLog.checkpointMessage(seq: headSeq + 1, headSeq: headSeq, head: head)))
        }
        return try append(AuditEvent(event: "checkpoint", actor: actor, runID: runID, outcome: "sealed", detail: detail), at: time)
    }
}
