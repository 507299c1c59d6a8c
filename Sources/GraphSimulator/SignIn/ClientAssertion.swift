import Crypto
import _CryptoExtras
import Foundation

/// A client assertion (RFC 7523) as Entra checks it for a certificate credential: a JWT
/// signed PS256 whose header names the certificate by `x5t#S256` and whose claims say
/// who (`iss` = `sub` = the client id), for whom (`aud` = the token URL) and when
/// (`nbf`, `iat`, `exp`, at most ten minutes apart).
struct ClientAssertion {
    /// Why an assertion is refused: an AADSTS code and its description.
    struct Refusal: Error, Equatable {
        var status: Int
        var error: String
        var code: Int
        var description: String
    }

    static let type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    /// Clock skew allowed on `nbf` and `exp` (Entra allows five minutes).
    static let skew: Double = 300
    /// The longest an assertion may live.
    static let maxLifetime: Double = 600

    let header: [String: Any]
    let claims: [String: Any]
    let signingInput: [UInt8]
    let signature: [UInt8]

    var jti: String? { claims["jti"] as? String }
    var expiry: Double? { Self.number(claims["exp"]) }

    init(_ text: String) throws(Refusal) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]), let claimBytes = Base64URL.decode(parts[1]),
              let signature = Base64URL.decode(parts[2]),
              let header = (try? JSONSerialization.jsonObject(with: Data(headerBytes))) as? [String: Any],
              let claims = (try? JSONSerialization.jsonObject(with: Data(claimBytes))) as? [String: Any] else {
            throw Refusal(status: 400, error: "invalid_request", code: 50027,
                          description: "JWT token is invalid or malformed.")
        }
        self.header = header
        self.claims = claims
        self.signature = signature
        signingInput = Array(parts[0].utf8) + [UInt8(ascii: ".")] + Array(parts[1].utf8)
    }

    /// Checks the assertion for `clientID` against its registered certificate.
    func verify(clientID: String, certificate: RegisteredCertificate, tokenURL: String, now: Double) throws(Refusal) {
        let alg = header["alg"] as? String ?? ""
        guard alg == "PS256" else {
            throw Refusal(status: 401, error: "invalid_client", code: 5_002_738,
                          description: "Invalid JWT token. '\(alg)' is not a supported signature algorithm for this "
                              + "simulator. Supported signing algorithms are: 'PS256'")
        }
        let thumbprint = header["x5t#S256"] as? String
        // base64url has no padding in a JWS header; a client that pads it still names the same key
        guard thumbprint.map({ $0.trimmingCharacters(in: ["="]) }) == certificate.thumbprintS256 else {
            throw Refusal(status: 401, error: "invalid_client", code: 700_027,
                          description: "Client assertion failed signature validation. [Reason - The key was not found., "
                              + "Thumbprint of key used by client: '\(thumbprint ?? "(no x5t#S256)")', Please visit the "
                              + "Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id "
                              + "'\(clientID)'.]")
        }
        guard certificate.publicKey.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature),
                                                     for: signingInput, padding: .PSS) else {
            throw Refusal(status: 401, error: "invalid_client", code: 700_027,
                          description: "Client assertion failed signature validation. [Reason - The provided signature "
                              + "value did not match the expected signature value., Thumbprint of key used by client: "
                              + "'\(certificate.thumbprintS256)']")
        }
        guard claims["iss"] as? String == clientID, claims["sub"] as? String == clientID else {
            throw Refusal(status: 401, error: "invalid_client", code: 700_021,
                          description: "Client assertion application identifier doesn't match 'client_id' parameter.")
        }
        let audiences: [String] = (claims["aud"] as? String).map { [$0] } ?? (claims["aud"] as? [String]) ?? []
        guard audiences.contains(tokenURL) else {
            throw Refusal(status: 401, error: "invalid_client", code: 50027,
                          description: "JWT token is invalid or malformed. [Reason - The audience "
                              + "'\(audiences.joined(separator: ", "))' is not this token endpoint '\(tokenURL)'.]")
        }
        guard let exp = Self.number(claims["exp"]), let nbf = Self.number(claims["nbf"]) ?? Self.number(claims["iat"]) else {
            throw Refusal(status: 400, error: "invalid_request", code: 50027,
                          description: "JWT token is invalid or malformed. [Reason - 'exp' and 'nbf' are required.]")
        }
        guard (claims["jti"] as? String)?.isEmpty == false else {
            throw Refusal(status: 400, error: "invalid_request", code: 50027,
                          description: "JWT token is invalid or malformed. [Reason - 'jti' is required.]")
        }
        guard now < exp + Self.skew, now >= nbf - Self.skew else {
            throw Refusal(status: 401, error: "invalid_client", code: 700_024,
                          description: "Client assertion is not within its valid time range. Current time: "
                              + "\(GraphTime.string(Date(timeIntervalSince1970: now))), assertion valid from "
                              + "\(GraphTime.string(Date(timeIntervalSince1970: nbf))), expiry time of assertion "
                              + "\(GraphTime.string(Date(timeIntervalSince1970: exp))).")
        }
        let issued = Self.number(claims["iat"]) ?? nbf
        guard exp - min(issued, nbf) <= Self.maxLifetime else {
            throw Refusal(status: 401, error: "invalid_client", code: 700_024,
                          description: "Client assertion lifetime is longer than ten minutes (exp - iat = "
                              + "\(Int(exp - min(issued, nbf))) s).")
        }
    }

    static func number(_ value: Any?) -> Double? {
        switch value {
        case let number as NSNumber: number.doubleValue
        case let int as Int: Double(int)
        case let double as Double: double
        default: nil
        }
    }
}
