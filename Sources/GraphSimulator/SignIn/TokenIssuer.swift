import Crypto
import Foundation
import Hummingbird
import MDMBatchShared
import NIOConcurrencyHelpers

/// The tenants' token endpoint (OAuth 2.0 client credentials, as Entra answers it) and
/// the access tokens it handed out: opaque random strings, valid for `--token-ttl`, each
/// bound to the tenant it was issued for. Every app is consented in every tenant served.
final class TokenIssuer: Sendable {
    private struct IssuedToken: Sendable {
        var app: String
        var tenant: String
        var expires: Double
    }

    private let configuration: SimConfiguration
    private let apps: [String: RegisteredApp]
    /// The tenants served, by id lower-cased.
    private let tenants: [String: String]
    private let tokens = NIOLockedValueBox<[String: IssuedToken]>([:])
    /// Assertion ids seen, until they expire (only with `--reject-reused-jti`).
    private let seenJTIs = NIOLockedValueBox<[String: Double]>([:])

    init(configuration: SimConfiguration, tenants: [String]) {
        self.configuration = configuration
        apps = Dictionary(configuration.apps.map { ($0.clientID, $0) }, uniquingKeysWith: { first, _ in first })
        self.tenants = Dictionary(tenants.map { ($0.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Answers `POST /{tenant}/oauth2/v2.0/token` with the form `fields`. `origin` is the
    /// simulator's own (`http://127.0.0.1:PORT`): the assertion's audience is
    /// `{origin}/{tenant}/oauth2/v2.0/token`, the scope `{origin}/.default` (or Graph's own).
    /// `signInRefused`: the tenant refuses every app for now (`--refuse-sign-in`), answered
    /// as Entra answers for an app not consented there. Returns the token response's JSON,
    /// the app and the tenant (as it was given to the simulator), or throws the refusal.
    func issue(tenant: String, fields: FormFields, origin: String, trace: RequestTrace,
               now: Double = Date().timeIntervalSince1970, signInRefused: Bool = false) throws(ServiceFailure)
        -> (json: String, app: String, tenant: String) {
        let served = tenants[tenant.lowercased()]
        func refuse(_ status: HTTPResponse.Status, _ error: String, _ code: Int, _ description: String) -> ServiceFailure {
            var failure = ServiceFailure.entra(status, error: error, code: code, description: description, trace: trace)
                .by(fields["client_id"])
            failure.tenant = served ?? tenant
            return failure
        }
        func required(_ name: String) throws(ServiceFailure) -> String {
            guard let value = fields[name], !value.isEmpty else {
                throw refuse(.badRequest, "invalid_request", 900_144,
                             "The request body must contain the following parameter: '\(name)'.")
            }
            return value
        }
        guard let served else {
            throw refuse(.badRequest, "invalid_request", 90002,
                         "Tenant '\(tenant)' not found. Check to make sure you have the correct tenant ID and are "
                             + "signing into the correct cloud.")
        }
        let grant = try required("grant_type")
        guard grant == "client_credentials" else {
            throw refuse(.badRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '\(grant)'.")
        }
        let clientID = try required("client_id")
        guard let app = apps[clientID], !signInRefused else {
            throw refuse(.badRequest, "unauthorized_client", 700_016,
                         "Application with identifier '\(clientID)' was not found in the directory '\(tenant)'. This can "
                             + "happen if the application has not been installed by the administrator of the tenant or "
                             + "consented to by any user in the tenant.")
        }
        let scope = try required("scope")
        guard scope == "\(origin)/.default" || scope == "https://graph.microsoft.com/.default" else {
            throw refuse(.badRequest, "invalid_scope", 1_002_012,
                         "The provided value for scope \(scope) is not valid. Client credential flows must have a scope "
                             + "value with /.default suffixed to the resource identifier (application ID URI).")
        }
        let secret = fields["client_secret"], assertion = fields["client_assertion"]
        switch (secret, assertion) {
        case (nil, nil):
            throw refuse(.unauthorized, "invalid_client", 7_000_218,
                         "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
        case (.some, .some):
            throw refuse(.badRequest, "invalid_request", 90014,
                         "The request carries both 'client_secret' and 'client_assertion'; send one credential.")
        case (let secret?, nil):
            guard case .secret(let expected) = app.credential, Self.sameSecret(secret, expected) else {
                throw refuse(.unauthorized, "invalid_client", 7_000_215,
                             "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                                 + "secret value, not the client secret ID, for a secret added to app '\(clientID)'.")
            }
        case (nil, let assertion?):
            guard fields["client_assertion_type"] == ClientAssertion.type else {
                throw refuse(.badRequest, "invalid_request", 900_144,
                             "The request body must contain the following parameter: 'client_assertion_type' with the "
                                 + "value '\(ClientAssertion.type)'.")
            }
            guard case .certificate(let certificate) = app.credential else {
                throw refuse(.unauthorized, "invalid_client", 700_027,
                             "Client assertion failed signature validation. [Reason - The key was not found., Please "
                                 + "visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys "
                                 + "for app Id '\(clientID)'.]")
            }
            do throws(ClientAssertion.Refusal) {
                let parsed = try ClientAssertion(assertion)
                try parsed.verify(clientID: clientID, certificate: certificate,
                                  tokenURL: "\(origin)/\(tenant)/oauth2/v2.0/token", now: now)
                if configuration.rejectReusedJTI, let jti = parsed.jti {
                    let reused = seenJTIs.withLockedValue { seen in
                        seen = seen.filter { $0.value > now }
                        if seen["\(clientID) \(jti)"] != nil { return true }
                        seen["\(clientID) \(jti)"] = (parsed.expiry ?? now) + ClientAssertion.skew
                        return false
                    }
                    if reused {
                        throw ClientAssertion.Refusal(status: 401, error: "invalid_client", code: 50027,
                                                      description: "JWT token is invalid or malformed. [Reason - the "
                                                          + "assertion id (jti) '\(jti)' was already used.]")
                    }
                }
            } catch {
                throw refuse(HTTPResponse.Status(code: error.status), error.error, error.code, error.description)
            }
        }
        let token = Secrets.token(bytes: 48)
        let ttl = configuration.tokenTTL
        tokens.withLockedValue { tokens in
            if tokens.count > 10_000 { tokens = tokens.filter { $0.value.expires > now } }
            tokens[token] = IssuedToken(app: clientID, tenant: served, expires: now + Double(ttl))
        }
        var json = JSONWriter()
        json.openObject()
        json.member("token_type", "Bearer")
        json.member("expires_in", ttl)
        json.member("ext_expires_in", ttl)
        json.member("access_token", token)
        json.closeObject()
        return (json.text, clientID, served)
    }

    /// The app behind an `Authorization: Bearer …` header and the tenant its token is
    /// for, or why there is none.
    enum Bearer {
        case app(String, tenant: String)
        case missing, unknown, expired
    }

    func app(authorization: String?, now: Double = Date().timeIntervalSince1970) -> Bearer {
        guard let authorization, authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else {
            return .missing
        }
        let token = String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        guard let issued = tokens.withLockedValue({ $0[token] }) else { return .unknown }
        return issued.expires > now ? .app(issued.app, tenant: issued.tenant) : .expired
    }

    /// Compares in time independent of where the first difference is.
    static func sameSecret(_ a: String, _ b: String) -> Bool {
        let x = Array(SHA256.hash(data: Data(a.utf8))), y = Array(SHA256.hash(data: Data(b.utf8)))
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
