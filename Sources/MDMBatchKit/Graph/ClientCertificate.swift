import Crypto
import _CryptoExtras
import Foundation

/// An app's certificate credential: the certificate (its DER, for the `x5t#S256` thumbprint)
/// and its RSA private key, read from one PEM file that only its owner may read. The
/// description names the file and the thumbprint, never the key.
public struct ClientCertificate: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The PEM file it was read from.
    public let path: String
    /// The certificate's DER encoding.
    public let certificateDER: [UInt8]
    /// Base64url of the SHA-256 of the DER: the `x5t#S256` header of an assertion.
    public let thumbprintSHA256: String
    let privateKey: _RSA.Signing.PrivateKey

    /// Reads and checks a PEM file: no group or other permission bits, a certificate, an
    /// unencrypted RSA private key (PKCS#8 or PKCS#1) of at least 2 048 bits, and the two matching.
    public static func load(path: String) throws -> ClientCertificate {
        let data = try SecretFile.read(path)
        return try ClientCertificate(pem: String(decoding: data, as: UTF8.self), path: path)
    }

    init(pem: String, path: String) throws {
        func refuse(_ reason: String) -> GraphConfigurationError { .malformed(path: path, reason: reason) }
        let blocks = PEMBlock.all(in: pem)
        guard let certificate = blocks.first(where: { $0.label == "CERTIFICATE" }) else {
            throw refuse("no certificate in it (expected a PEM block BEGIN CERTIFICATE, then the private key)")
        }
        guard let der = certificate.der else { throw refuse("its certificate is not valid base64") }
        if blocks.contains(where: { $0.label == "ENCRYPTED PRIVATE KEY" }) || pem.contains("Proc-Type: 4,ENCRYPTED") {
            throw refuse("its private key is encrypted; give an unencrypted key in a file only its owner can read")
        }
        guard let keyBlock = blocks.first(where: { $0.label == "PRIVATE KEY" || $0.label == "RSA PRIVATE KEY" }) else {
            throw refuse(blocks.contains(where: { $0.label.hasSuffix("PRIVATE KEY") })
                ? "its private key is not an RSA key" : "no private key in it (expected a PEM block BEGIN PRIVATE KEY)")
        }
        let key: _RSA.Signing.PrivateKey
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: keyBlock.text)
        } catch {
            // The underlying error is not shown: it is about the key.
            throw refuse("its private key is not a usable RSA key of 2048 bits or more")
        }
        // The public key's modulus appears verbatim in the certificate it belongs to.
        let modulus = Array(((try? key.publicKey.getKeyPrimitives().modulus) ?? Data()).drop { $0 == 0 })
        guard !modulus.isEmpty, der.firstRange(of: modulus) != nil else {
            throw refuse("its private key does not belong to its certificate")
        }
        self.path = path
        certificateDER = der
        thumbprintSHA256 = Base64URL.encode(Array(SHA256.hash(data: der)))
        privateKey = key
    }

    /// Signs `message` with RSASSA-PSS, SHA-256 and MGF1-SHA-256, salt of 32 bytes (JWS `PS256`).
    func signPS256(_ message: [UInt8]) throws -> [UInt8] {
        let signature = try privateKey.signature(for: message, padding: .PSS)
        return signature.withUnsafeBytes { Array($0) }
    }

    public var description: String { "certificate \(path) (x5t#S256 \(thumbprintSHA256), private key redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["path": path, "thumbprintSHA256": thumbprintSHA256]) }
}

/// One `-----BEGIN X-----` … `-----END X-----` block of a PEM file.
struct PEMBlock {
    let label: String
    /// The block as text, markers included.
    let text: String
    let base64: String

    var der: [UInt8]? { Data(base64Encoded: base64).map { Array($0) } }

    static func all(in pem: String) -> [PEMBlock] {
        var blocks: [PEMBlock] = []
        var label: String?
        var lines: [Substring] = []
        var body: [Substring] = []
        for rawLine in pem.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if let open = label {
                lines.append(Substring(line))
                if line == "-----END \(open)-----" {
                    blocks.append(PEMBlock(label: open, text: lines.joined(separator: "\n") + "\n",
                                           base64: body.filter { !$0.contains(":") }.joined()))
                    label = nil
                } else {
                    body.append(Substring(line))
                }
            } else if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----"), line.count > 16 {
                label = String(line.dropFirst(11).dropLast(5))
                lines = [Substring(line)]
                body = []
            }
        }
        return blocks
    }
}

/// Base64 with the URL alphabet and no padding (RFC 7515 §2).
enum Base64URL {
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64).map { Array($0) }
    }
}

/// A file holding a secret or a key: read only when it is a regular file (not a symbolic
/// link: opened with `O_NOFOLLOW`, checked on the open descriptor), owned by the user
/// running mdmbatch, with no group or other permission bit, in a folder that neither group
/// nor others may write (where someone else could swap the file).
enum SecretFile {
    static func read(_ path: String) throws -> Data {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw GraphConfigurationError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        if (info.st_mode & S_IFMT) == S_IFLNK {
            throw GraphConfigurationError.unsafeFile(path: path, reason: "is a symbolic link; give the file itself")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var folderInfo = stat()
        if stat(folder, &folderInfo) == 0, folderInfo.st_mode & 0o022 != 0 {
            throw GraphConfigurationError.unsafeFile(
                path: path, reason: "its folder \(folder) lets group or others write to it (mode "
                    + String(format: "%04o", UInt16(truncatingIfNeeded: folderInfo.st_mode) & 0o7777)
                    + "): keep it in a folder only its owner can change")
        }
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ELOOP { throw GraphConfigurationError.unsafeFile(path: path, reason: "is a symbolic link; give the file itself") }
            throw GraphConfigurationError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        defer { try? handle.close() }
        // what was opened is what is checked: the path may have changed since lstat
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw GraphConfigurationError.unreadable(path: path, reason: "not a regular file")
        }
        guard info.st_uid == geteuid() else {
            throw GraphConfigurationError.unsafeFile(
                path: path, reason: "is owned by user \(info.st_uid), not by the user running mdmbatch (\(geteuid())); chown it")
        }
        let mode = UInt16(truncatingIfNeeded: info.st_mode) & 0o7777
        guard mode & 0o077 == 0 else { throw GraphConfigurationError.unsafePermissions(path: path, mode: mode) }
        do {
            return try handle.readToEnd() ?? Data()
        } catch {
            throw GraphConfigurationError.unreadable(path: path, reason: "read failed")
        }
    }
}
