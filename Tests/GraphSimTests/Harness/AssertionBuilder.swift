import Crypto
import _CryptoExtras
import Foundation

/// Client assertions as a real client makes them, from a PEM file holding a certificate
/// and its RSA key (the fixtures): written here independently of the simulator's parser.
struct AssertionBuilder {
    let key: _RSA.Signing.PrivateKey
    /// base64url SHA-256 of the certificate's DER.
    let thumbprint: String

    init(pemFile: URL) throws {
        let pem = try String(contentsOf: pemFile, encoding: .utf8)
        key = try _RSA.Signing.PrivateKey(pemRepresentation: Self.block(pem, "PRIVATE KEY"))
        let der = Data(base64Encoded: Self.block(pem, "CERTIFICATE").split(separator: "\n")
            .filter { !$0.hasPrefix("-----") }.joined())!
        thumbprint = Self.base64URL(Data(SHA256.hash(data: der)))
    }

    static func fixture(_ name: String) throws -> AssertionBuilder {
        try AssertionBuilder(pemFile: SimProcess.fixtures.appendingPathComponent(name))
    }

    /// A signed JWT. `header` and `claims` entries replace the defaults; `nil` removes one.
    func assertion(clientID: String, audience: String, issuedAt: Date = Date(), lifetime: TimeInterval = 300,
                   header overrides: [String: Any?] = [:], claims claimOverrides: [String: Any?] = [:]) throws -> String {
        var header: [String: Any] = ["alg": "PS256", "typ": "JWT", "x5t#S256": thumbprint]
        for (name, value) in overrides { header[name] = value }
        let iat = Int(issuedAt.timeIntervalSince1970)
        var claims: [String: Any] = ["aud": audience, "iss": clientID, "sub": clientID, "jti": UUID().uuidString,
                                     "nbf": iat, "iat": iat, "exp": iat + Int(lifetime)]
        for (name, value) in claimOverrides { claims[name] = value }
        let input = Self.base64URL(try JSONSerialization.data(withJSONObject: header.compactMapValues { $0 }))
            + "." + Self.base64URL(try JSONSerialization.data(withJSONObject: claims.compactMapValues { $0 }))
        let signature = try key.signature(for: Data(input.utf8), padding: .PSS)
        return input + "." + Self.base64URL(signature.rawRepresentation)
    }

    static func block(_ pem: String, _ label: String) -> String {
        guard let begin = pem.range(of: "-----BEGIN \(label)-----"), let end = pem.range(of: "-----END \(label)-----") else {
            return ""
        }
        return String(pem[begin.lowerBound..<end.upperBound])
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
