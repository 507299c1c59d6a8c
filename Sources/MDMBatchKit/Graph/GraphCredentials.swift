import Foundation

/// The app's identity at Microsoft Entra: tenant, client id, and a client secret or a
/// certificate. Never from the command line: from a credentials file, else from the
/// environment the caller passes in. Its description never shows the secret.
public struct GraphCredentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// How the app proves who it is.
    public enum Proof: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
        case clientSecret(String)
        case certificate(ClientCertificate)

        public var description: String {
            switch self {
            case .clientSecret: "client secret (redacted)"
            case .certificate(let certificate): certificate.description
            }
        }
        public var debugDescription: String { description }
        public var customMirror: Mirror { Mirror(self, children: ["proof": description]) }
    }

    public static let tenantVariable = "MDMBATCH_TENANT_ID"
    public static let clientVariable = "MDMBATCH_CLIENT_ID"
    public static let secretVariable = "MDMBATCH_CLIENT_SECRET"
    public static let certificateVariable = "MDMBATCH_CLIENT_CERTIFICATE"

    public let tenantID: String
    public let clientID: String
    public let proof: Proof

    public init(tenantID: String, clientID: String, proof: Proof, source: String = "credentials") throws {
        let tenant = tenantID.trimmingCharacters(in: .whitespacesAndNewlines)
        let client = clientID.trimmingCharacters(in: .whitespacesAndNewlines)
        // The tenant goes into the token URL's path: a GUID or a domain name, nothing else.
        guard !tenant.isEmpty, tenant.utf8.allSatisfy({ $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }) else {
            throw GraphConfigurationError.invalidCredential(source: source, reason: "the tenant id \"\(tenant)\" is not a GUID or a domain name")
        }
        guard !client.isEmpty, !client.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw GraphConfigurationError.invalidCredential(source: source, reason: "the client id is empty or holds control characters")
        }
        if case .clientSecret(let secret) = proof, secret.isEmpty {
            throw GraphConfigurationError.invalidCredential(source: source, reason: "the client secret is empty")
        }
        self.tenantID = tenant
        self.clientID = client
        self.proof = proof
    }

    /// With `file` (`--credentials FILE`): that JSON file (`tenant_id`, `client_id`, and
    /// `client_secret` or `client_certificate`, a path taken from the file's folder when
    /// relative), refused when group or others may read it. Else `MDMBATCH_TENANT_ID`,
    /// `MDMBATCH_CLIENT_ID`, and `MDMBATCH_CLIENT_SECRET` or `MDMBATCH_CLIENT_CERTIFICATE`
    /// (a PEM file under the same rule) from `environment`. Throws `GraphConfigurationError` (78).
    public static func load(environment: [String: String], file: String?) throws -> GraphCredentials {
        if let file { return try load(file: file) }
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else { return nil }
            return raw
        }
        let source = "the environment"
        let tenant = value(tenantVariable), client = value(clientVariable)
        let secret = value(secretVariable), certificate = value(certificateVariable)
        var missing: [String] = []
        if tenant == nil { missing.append(tenantVariable) }
        if client == nil { missing.append(clientVariable) }
        if secret == nil && certificate == nil { missing.append("\(secretVariable) or \(certificateVariable)") }
        guard let tenant, let client, missing.isEmpty else {
            throw GraphConfigurationError.missingCredentials(source: source, missing: missing)
        }
        if secret != nil && certificate != nil {
            throw GraphConfigurationError.invalidCredential(
                source: source, reason: "both \(secretVariable) and \(certificateVariable) are set; set one")
        }
        let proof: Proof = if let secret { .clientSecret(secret) } else { .certificate(try ClientCertificate.load(path: certificate!)) }
        return try GraphCredentials(tenantID: tenant, clientID: client, proof: proof, source: source)
    }

    /// A credentials file (JSON), refused when group or others may read it.
    public static func load(file: String) throws -> GraphCredentials {
        let data = try SecretFile.read(file)
        // The parser's own message is not shown: it may quote the text around the error.
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw GraphConfigurationError.malformed(
                path: file, reason: "not a credentials file: expected a JSON object with tenant_id, client_id, and client_secret or client_certificate")
        }
        func value(_ key: String) throws -> String? {
            guard let raw = object[key], !(raw is NSNull) else { return nil }
            guard let text = raw as? String else {
                throw GraphConfigurationError.malformed(path: file, reason: "\(key) must be a string")
            }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? nil : trimmed
        }
        let tenant = try value("tenant_id"), client = try value("client_id")
        let secret = try value("client_secret"), certificate = try value("client_certificate")
        var missing: [String] = []
        if tenant == nil { missing.append("tenant_id") }
        if client == nil { missing.append("client_id") }
        if secret == nil && certificate == nil { missing.append("client_secret or client_certificate") }
        guard let tenant, let client, missing.isEmpty else {
            throw GraphConfigurationError.missingCredentials(source: file, missing: missing)
        }
        if secret != nil && certificate != nil {
            throw GraphConfigurationError.invalidCredential(source: file, reason: "both client_secret and client_certificate are given; give one")
        }
        let proof: Proof
        if let secret {
            proof = .clientSecret(secret)
        } else {
            let folder = URL(fileURLWithPath: file).deletingLastPathComponent()
            let path = certificate!.hasPrefix("/") ? certificate! : folder.appendingPathComponent(certificate!).path
            proof = .certificate(try ClientCertificate.load(path: path))
        }
        return try GraphCredentials(tenantID: tenant, clientID: client, proof: proof, source: file)
    }

    public var description: String { "GraphCredentials(tenant: \(tenantID), client: \(clientID), \(proof))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["tenantID": tenantID, "clientID": clientID, "proof": proof.description])
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (0x30...0x39).contains(self) || (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self)
    }
}
