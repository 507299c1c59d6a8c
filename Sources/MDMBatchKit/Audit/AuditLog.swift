import Crypto
import Foundation

/// A row of the audit trail as stored.
public struct AuditRecord: Sendable, Equatable {
    public var seq: Int64
    public var at: String
    public var runID: String?
    public var actor: String
    public var event: String
    public var deviceID: String?
    public var action: String?
    public var outcome: String?
    public var reason: String?
    /// The JSON text that was hashed.
    public var detail: String
    public var prevHash: String
    public var hash: String

    /// The fields the chain hashes, in order.
    public var chainFields: [String?] { [String(seq), at, runID, actor, event, deviceID, action, outcome, reason, detail] }
}

/// The append-only audit trail. Each row is chained to the one before it:
/// `hash = SHA-256(prev_hash ‖ canonical row)`, the first row's `prev_hash` being
/// 64 zeros. The canonical row is the fields `seq, at, run_id, actor, event, device_id,
/// action, outcome, reason, detail`, each written as `<byte length>:<UTF-8 bytes>;`,
/// or `~;` for NULL (see README, "Audit trail").
public enum AuditLog {
    public static let genesisHash = String(repeating: "0", count: 64)

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

    /// The detail of a checkpoint sealing the chain at (`headSeq`, `head`), as the row
    /// `seq = headSeq + 1`: with a signer, its public key and signature.
    static func checkpointDetail(headSeq: Int64, head: String, signer: AuditSigner?) throws -> [String: JSONValue] {
        var detail: [String: JSONValue] = ["head": .string(head), "head_seq": .number(Double(headSeq))]
        if let signer {
            detail["public_key"] = .string(signer.publicKeyBase64)
            detail["signature"] = .string(try signer.sign(checkpointMessage(seq: headSeq + 1, headSeq: headSeq, head: head)))
        }
        return detail
    }

    /// The bytes a checkpoint signs: the checkpoint's own seq and the chain head it seals.
    public static func checkpointMessage(seq: Int64, headSeq: Int64, head: String) -> [UInt8] {
        Array("mdmbatch audit checkpoint\n\(seq)\n\(headSeq)\n\(head)\n".utf8)
    }
}

/// What a checkpoint's detail says: the head it seals and, when signed, the key and the
/// signature (see `AuditLog.checkpointDetail`).
public struct CheckpointSeal: Sendable, Equatable {
    public var head: String
    public var headSeq: Int64
    /// The base64 of the raw Ed25519 public key the checkpoint names, if any.
    public var publicKey: String?
    /// The base64 signature, nil for an unsigned checkpoint.
    public var signature: String?

    /// Nil when `detail` is not a checkpoint's: `head` and `head_seq` are required; a
    /// `public_key` or `signature` that is there must be text.
    public init?(detail: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(detail.utf8)) as? [String: Any],
              let head = object["head"] as? String, let headSeq = (object["head_seq"] as? NSNumber)?.int64Value else { return nil }
        func text(_ key: String) -> String?? {
            switch object[key] {
            case nil, is NSNull: .some(nil)
            case let value as String: .some(value)
            default: nil
            }
        }
        guard let publicKey = text("public_key"), let signature = text("signature") else { return nil }
        self.head = head
        self.headSeq = headSeq
        self.publicKey = publicKey
        self.signature = signature
    }

    public var isSigned: Bool { signature != nil }

    /// The fingerprint of the key it names ("?" when it names none).
    public var fingerprint: String { publicKey.map(AuditPublicKey.fingerprint(ofBase64:)) ?? "?" }
}

/// A chain head kept elsewhere, written `SEQ:HASH`: the row number and its hash, as
/// `audit verify` prints the head (a checkpoint's detail holds it as `head_seq`, `head`).
public struct AuditHead: Sendable, Equatable, CustomStringConvertible {
    public var seq: Int64
    public var hash: String

    public init(seq: Int64, hash: String) {
        self.seq = seq
        self.hash = hash
    }

    /// Nil unless `text` is a row number (1 or more), a colon and 64 hex digits.
    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].allSatisfy({ $0.isASCII && $0.isNumber }), let seq = Int64(parts[0]), seq >= 1,
              parts[1].count == 64, parts[1].allSatisfy({ $0.isASCII && $0.isHexDigit }) else { return nil }
        self.init(seq: seq, hash: parts[1].lowercased())
    }

    public var description: String { "\(seq):\(hash)" }
}
