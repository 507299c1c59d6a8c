import Crypto
import Foundation

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

    /// Writes a new key to `path` (0600) and its public key to `path.pub`: both or neither
    /// (an existing file at either path is refused, and nothing is left behind).
    public static func writeNewKey(to path: String) throws {
        let (privateKey, publicKey) = generate()
        for existing in [path, path + ".pub"] where FileManager.default.fileExists(atPath: existing) {
            throw OutputFileError.exists(existing)
        }
        try ExclusiveFile.write(privateKey, to: path)
        do {
            try ExclusiveFile.write(publicKey, to: path + ".pub")
        } catch {
            unlink(path)
            throw error
        }
    }

    /// The fingerprint people compare: the first 16 hex digits of the SHA-256 of the public key.
    public var fingerprint: String { AuditPublicKey.fingerprint(ofBase64: publicKeyBase64) }

    func sign(_ message: [UInt8]) throws -> String {
        try key.signature(for: message).base64EncodedString()
    }
}

/// A public key to verify checkpoint signatures with (`FILE.pub`: base64 of 32 bytes).
public struct AuditPublicKey: Sendable, Equatable {
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

    /// The first 16 hex digits of the SHA-256 of the raw public key.
    public var fingerprint: String { hexString(SHA256.hash(data: raw)).prefix(16).description }

    public static func fingerprint(ofBase64 text: String) -> String {
        guard let raw = Data(base64Encoded: text) else { return "?" }
        return hexString(SHA256.hash(data: raw)).prefix(16).description
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
