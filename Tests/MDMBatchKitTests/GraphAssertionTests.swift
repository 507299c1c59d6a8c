import Crypto
import Foundation
import Testing
import _CryptoExtras
@testable import MDMBatchKit

@Suite("Graph client assertion (PS256)")
struct GraphAssertionTests {
    typealias F = GraphFixtures

    /// The certificate's DER, read here from the certificate-only fixture.
    static func certificateDER() throws -> [UInt8] {
        let pem = try String(contentsOfFile: F.testAppCertificate, encoding: .utf8)
        let base64 = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        return Array(try #require(Data(base64Encoded: base64)))
    }

    /// The certificate's SubjectPublicKeyInfo, by walking its DER: tbsCertificate is the
    /// first element; in it, [0] version, serial, signature, issuer, validity, subject, SPKI.
    static func subjectPublicKeyInfo(_ der: [UInt8]) throws -> [UInt8] {
        func element(at offset: Int) throws -> (tag: UInt8, content: Range<Int>, end: Int) {
            var index = offset + 1
            var length = Int(der[index])
            index += 1
            if length & 0x80 != 0 {
                let count = length & 0x7F
                length = 0
                for _ in 0..<count { length = length << 8 | Int(der[index]); index += 1 }
            }
            return (der[offset], index..<index + length, index + length)
        }
        let certificate = try element(at: 0)
        let tbs = try element(at: certificate.content.lowerBound)
        var offset = tbs.content.lowerBound
        var fields: [(tag: UInt8, content: Range<Int>, end: Int)] = []
        while offset < tbs.content.upperBound && fields.count < 7 {
            let field = try element(at: offset)
            fields.append(field)
            offset = field.end
        }
        #expect(fields[0].tag == 0xA0)
        let spki = fields[6]
        let start = fields[5].end
        return Array(der[start..<spki.end])
    }

    @Test("header PS256 with x5t#S256 of the certificate's DER, claims for the token URL, signature verifies")
    func assertion() throws {
        let certificate = try F.certificate()
        let audience = "https://login.microsoftonline.com/\(F.tenant)/oauth2/v2.0/token"
        let now = Date(timeIntervalSince1970: 1_795_000_000.75)
        let jwt = try ClientAssertion.make(certificate: certificate, clientID: F.client, audience: audience, now: now)
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        try #require(parts.count == 3)
        for part in parts { #expect(!part.contains("=") && !part.contains("+") && !part.contains("/")) }

        let headerBytes = try #require(Base64URL.decode(parts[0]))
        let header = try #require(JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: String])
        let der = try Self.certificateDER()
        let thumbprint = Data(SHA256.hash(data: der)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        #expect(header == ["alg": "PS256", "typ": "JWT", "x5t#S256": thumbprint])

        let claimBytes = try #require(Base64URL.decode(parts[1]))
        let claims = try JSONDecoder().decode(ClientAssertion.Claims.self, from: Data(claimBytes))
        #expect(claims.aud == audience)
        #expect(claims.iss == F.client && claims.sub == F.client)
        #expect(UUID(uuidString: claims.jti) != nil)
        #expect(claims.iat == 1_795_000_000 && claims.nbf == claims.iat)
        #expect(claims.exp > claims.iat && claims.exp - claims.iat <= 600)

        let publicKey = try _RSA.Signing.PublicKey(derRepresentation: try Self.subjectPublicKeyInfo(der))
        let signatureBytes = try #require(Base64URL.decode(parts[2]))
        let signature = _RSA.Signing.RSASignature(rawRepresentation: signatureBytes)
        let signingInput = Array("\(parts[0]).\(parts[1])".utf8)
        #expect(publicKey.isValidSignature(signature, for: signingInput, padding: .PSS))
        #expect(!publicKey.isValidSignature(signature, for: signingInput + [0x20], padding: .PSS))
        #expect(!publicKey.isValidSignature(signature, for: signingInput, padding: .insecurePKCS1v1_5))
    }

    @Test("every assertion has its own jti")
    func uniqueJTI() throws {
        let certificate = try F.certificate()
        let claims = try (0..<3).map { _ in
            let jwt = try ClientAssertion.make(certificate: certificate, clientID: F.client, audience: "a", now: Date())
            let payload = jwt.split(separator: ".")[1]
            return try JSONDecoder().decode(ClientAssertion.Claims.self, from: Data(try #require(Base64URL.decode(payload))))
        }
        #expect(Set(claims.map(\.jti)).count == 3)
    }

    @Test("a client id with quotes is encoded as JSON, not spliced")
    func escaping() throws {
        let certificate = try F.certificate()
        let jwt = try ClientAssertion.make(certificate: certificate, clientID: #"a"b\c"#, audience: "https://x/y", now: Date())
        let claims = try JSONDecoder().decode(ClientAssertion.Claims.self,
                                              from: Data(try #require(Base64URL.decode(jwt.split(separator: ".")[1]))))
        #expect(claims.iss == #"a"b\c"#)
    }
}
