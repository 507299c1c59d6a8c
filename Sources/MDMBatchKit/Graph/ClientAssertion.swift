import Foundation

/// The JWT a certificate credential signs in with (Microsoft Entra "certificate credentials"):
/// header `{"alg":"PS256","typ":"JWT","x5t#S256":…}`, claims `aud` (the token URL), `iss` =
/// `sub` (the client id), `jti`, `nbf`, `iat` and `exp`, signed RSASSA-PSS with SHA-256.
enum ClientAssertion {
    /// How long an assertion is valid: Entra recommends 5 to 10 minutes at most.
    static let lifetime: TimeInterval = 600

    struct Claims: Codable, Equatable {
        var aud: String
        var iss: String
        var sub: String
        var jti: String
        var nbf: Int64
        var iat: Int64
        var exp: Int64
    }

    static func make(certificate: ClientCertificate, clientID: String, audience: String, now: Date,
                     jti: String = SystemIdentifiers().uuid()) throws -> String {
        let header = #"{"alg":"PS256","typ":"JWT","x5t#S256":"\#(certificate.thumbprintSHA256)"}"#
        let issued = Int64(now.timeIntervalSince1970.rounded(.down))
        let claims = Claims(aud: audience, iss: clientID, sub: clientID, jti: jti, nbf: issued, iat: issued,
                            exp: issued + Int64(lifetime))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(try encoder.encode(claims))
        let signature = try certificate.signPS256(Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }
}
