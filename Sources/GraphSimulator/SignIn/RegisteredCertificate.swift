import Crypto
import _CryptoExtras
import Foundation

/// A certificate registered for an app: its public key verifies the app's client
/// assertions, and its SHA-256 thumbprint is what the assertion's `x5t#S256` must name.
public struct RegisteredCertificate: Sendable {
    /// base64url SHA-256 of the certificate's DER.
    public let thumbprintS256: String
    let publicKey: _RSA.Signing.PublicKey

    /// Reads the first `CERTIFICATE` block of a PEM text (a file may hold its key too).
    public init(pem: String) throws(CertificateError) {
        guard let der = Self.firstBlock(of: pem, label: "CERTIFICATE") else { throw .noCertificate }
        try self.init(der: der)
    }

    public init(der: [UInt8]) throws(CertificateError) {
        guard let spki = DER.subjectPublicKeyInfo(ofCertificate: der) else { throw .malformed }
        do {
            publicKey = try _RSA.Signing.PublicKey(derRepresentation: spki)
        } catch {
            throw .notRSA("\(error)")
        }
        thumbprintS256 = Base64URL.encode(SHA256.hash(data: der))
    }

    static func firstBlock(of pem: String, label: String) -> [UInt8]? {
        guard let begin = pem.range(of: "-----BEGIN \(label)-----"),
              let end = pem.range(of: "-----END \(label)-----", range: begin.upperBound..<pem.endIndex) else { return nil }
        let body = pem[begin.upperBound..<end.lowerBound].filter { !$0.isWhitespace }
        return Data(base64Encoded: String(body)).map { Array($0) }
    }
}

public enum CertificateError: Error, Equatable, CustomStringConvertible {
    case noCertificate, malformed
    case notRSA(String)

    public var description: String {
        switch self {
        case .noCertificate: "no PEM CERTIFICATE block"
        case .malformed: "the certificate is not DER the simulator can read"
        case .notRSA(let reason): "the certificate's key is not an RSA key of 2048 bits or more (\(reason))"
        }
    }
}

/// Just enough DER to find a certificate's SubjectPublicKeyInfo (RFC 5280 §4.1):
/// Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL,
/// serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, … }, … }
enum DER {
    struct Element {
        var tag: UInt8
        /// The whole element, header included.
        var range: Range<Int>
        /// Its contents.
        var contents: Range<Int>
    }

    static func element(in bytes: [UInt8], at start: Int, limit: Int) -> Element? {
        guard start + 2 <= limit else { return nil }
        let tag = bytes[start]
        var index = start + 1
        let first = bytes[index]
        index += 1
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7F)
            guard count >= 1, count <= 4, index + count <= limit else { return nil }
            for _ in 0..<count {
                length = length << 8 | Int(bytes[index])
                index += 1
            }
        }
        guard length >= 0, index + length <= limit else { return nil }
        return Element(tag: tag, range: start..<index + length, contents: index..<index + length)
    }

    static func subjectPublicKeyInfo(ofCertificate bytes: [UInt8]) -> [UInt8]? {
        guard let certificate = element(in: bytes, at: 0, limit: bytes.count), certificate.tag == 0x30,
              let tbs = element(in: bytes, at: certificate.contents.lowerBound, limit: certificate.contents.upperBound),
              tbs.tag == 0x30 else { return nil }
        var fields: [Element] = []
        var cursor = tbs.contents.lowerBound
        while cursor < tbs.contents.upperBound, fields.count < 8 {
            guard let field = element(in: bytes, at: cursor, limit: tbs.contents.upperBound) else { return nil }
            fields.append(field)
            cursor = field.range.upperBound
        }
        // skip the explicit version tag when present
        if fields.first?.tag == 0xA0 { fields.removeFirst() }
        // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
        guard fields.count >= 6, fields[5].tag == 0x30 else { return nil }
        return Array(bytes[fields[5].range])
    }
}
