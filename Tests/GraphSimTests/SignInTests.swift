import Foundation
import GraphSimulator
import MDMBatchShared
import Testing

/// The routes in this process (`withRoutes`), but for the binary's first line.
@Suite("Sign-in: the token endpoint and bearer tokens")
struct SignInTests {
    @Test("the first line on stdout is the URL, on 127.0.0.1 and a port picked for it")
    func listeningLine() async throws {
        try await withSim { sim in
            #expect(sim.firstLine.wholeMatch(of: /listening on http:\/\/127\.0\.0\.1:[0-9]{2,5}/) != nil)
            #expect(!sim.url.hasSuffix(":0"))
        }
    }

    @Test("a client secret gets a bearer token that opens Graph")
    func secret() async throws {
        try await withRoutes { sim in
            let answer = try await sim.requestToken([("client_id", SimProcess.secretApp), ("client_secret", SimProcess.secret)])
            #expect(answer.status == 200)
            #expect(answer.json["token_type"] as? String == "Bearer")
            #expect(answer.json["expires_in"] as? Int == 3599)
            #expect(answer.json["ext_expires_in"] as? Int == 3599)
            let token = try #require(answer.json["access_token"] as? String)
            #expect(token.count >= 32)
            #expect(try await sim.get("/v1.0/deviceManagement/managedDevices", token: token).status == 200)
        }
    }

    @Test("a PS256 client assertion signed by the registered certificate gets a token; Graph's own scope is accepted too")
    func certificate() async throws {
        try await withRoutes { sim in
            let builder = try AssertionBuilder.fixture("graph-test-app.pem")
            for scope in ["\(sim.url)/.default", "https://graph.microsoft.com/.default"] {
                let assertion = try builder.assertion(clientID: SimProcess.certificateApp, audience: sim.tokenURL)
                let answer = try await sim.postForm(sim.tokenURL, [
                    "grant_type=client_credentials", "client_id=\(SimProcess.certificateApp)",
                    "scope=\(scope.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)",
                    "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer",
                    "client_assertion=\(assertion)",
                ].joined(separator: "&"))
                #expect(answer.status == 200, "\(answer.body)")
                let token = try #require(answer.json["access_token"] as? String)
                #expect(try await sim.get("/v1.0/users", token: token).status == 200)
            }
        }
    }

    struct Refusal: CustomTestStringConvertible, Sendable {
        var name: String
        var status: Int
        var error: String
        var aadsts: Int
        /// The form fields, given the simulator (for its URL).
        var fields: @Sendable (any SimClient) throws -> [(String, String)]
        var testDescription: String { name }
    }

    static func assertion(_ pem: String = "graph-test-app.pem", client: String = SimProcess.certificateApp,
                          audience: (@Sendable (any SimClient) -> String)? = nil, issuedAt: Date = Date(),
                          lifetime: TimeInterval = 300) -> @Sendable (any SimClient) throws -> [(String, String)] {
        { sim in
            let jwt = try AssertionBuilder.fixture(pem).assertion(clientID: client, audience: audience?(sim) ?? sim.tokenURL,
                                                                  issuedAt: issuedAt, lifetime: lifetime)
            return [("client_id", client), ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                    ("client_assertion", jwt)]
        }
    }

    static let refusals: [Refusal] = [
        Refusal(name: "a wrong client secret", status: 401, error: "invalid_client", aadsts: 7_000_215) { _ in
            [("client_id", SimProcess.secretApp), ("client_secret", "not-it")]
        },
        Refusal(name: "another app's key", status: 401, error: "invalid_client", aadsts: 700_027,
                fields: assertion("graph-other-app.pem")),
        Refusal(name: "an expired assertion", status: 401, error: "invalid_client", aadsts: 700_024,
                fields: assertion(issuedAt: Date().addingTimeInterval(-3600))),
        Refusal(name: "an assertion not valid yet", status: 401, error: "invalid_client", aadsts: 700_024,
                fields: assertion(issuedAt: Date().addingTimeInterval(3600))),
        Refusal(name: "an assertion living over ten minutes", status: 401, error: "invalid_client", aadsts: 700_024,
                fields: assertion(lifetime: 3600)),
        Refusal(name: "a wrong audience", status: 401, error: "invalid_client", aadsts: 50027,
                fields: assertion(audience: { _ in "https://login.microsoftonline.com/\(SimProcess.tenant)/oauth2/v2.0/token" })),
        Refusal(name: "an assertion for the secret app", status: 401, error: "invalid_client", aadsts: 700_027,
                fields: assertion(client: SimProcess.secretApp)),
        Refusal(name: "an unknown app", status: 400, error: "unauthorized_client", aadsts: 700_016) { _ in
            [("client_id", "99999999-0000-0000-0000-000000000000"), ("client_secret", SimProcess.secret)]
        },
        Refusal(name: "no credential", status: 401, error: "invalid_client", aadsts: 7_000_218) { _ in
            [("client_id", SimProcess.secretApp)]
        },
        Refusal(name: "a scope without /.default", status: 400, error: "invalid_scope", aadsts: 1_002_012) { _ in
            [("client_id", SimProcess.secretApp), ("client_secret", SimProcess.secret), ("scope", "User.Read.All")]
        },
        Refusal(name: "a garbled assertion", status: 400, error: "invalid_request", aadsts: 50027) { _ in
            [("client_id", SimProcess.certificateApp),
             ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"), ("client_assertion", "a.b")]
        },
    ]

    @Test("Entra's refusals", arguments: refusals)
    func refused(_ refusal: Refusal) async throws {
        try await withRoutes { sim in
            try await check(try await sim.requestToken(try refusal.fields(sim)))
            func check(_ answer: SimProcess.Answer) async throws {
                #expect(answer.status == refusal.status, "\(answer.body)")
                #expect(answer.json["error"] as? String == refusal.error)
                #expect(answer.json["error_codes"] as? [Int] == [refusal.aadsts])
                #expect((answer.json["error_description"] as? String)?.hasPrefix("AADSTS\(refusal.aadsts): ") == true)
                #expect(answer.json["trace_id"] is String && answer.json["correlation_id"] is String)
            }
        }
    }

    @Test("an unknown tenant is refused")
    func unknownTenant() async throws {
        try await withRoutes { sim in
            let url = "\(sim.url)/00000000-0000-0000-0000-000000000000/oauth2/v2.0/token"
            let answer = try await sim.postForm(url, sim.tokenForm([("client_id", SimProcess.secretApp),
                                                                              ("client_secret", SimProcess.secret)]))
            #expect(answer.status == 400)
            #expect(answer.json["error_codes"] as? [Int] == [90002])
        }
    }

    @Test("a reused assertion id is refused with --reject-reused-jti")
    func reusedJTI() async throws {
        try await withRoutes({ $0.rejectReusedJTI = true }) { sim in
            let fields = try Self.assertion()(sim)
            #expect(try await sim.requestToken(fields).status == 200)
            let again = try await sim.requestToken(fields)
            #expect(again.status == 401)
            #expect(again.json["error"] as? String == "invalid_client")
        }
    }

    @Test("a token stops working after --token-ttl")
    func tokenExpiry() async throws {
        try await withRoutes({ $0.tokenTTL = 3 }) { sim in
            let token = try await sim.token()
            #expect(try await sim.get("/v1.0/users", token: token).status == 200)
            sim.clock.advance(by: 2.9)
            #expect(try await sim.get("/v1.0/users", token: token).status == 200)
            sim.clock.advance(by: 0.2)
            let expired = try await sim.get("/v1.0/users", token: token)
            #expect(expired.status == 401)
            #expect(expired.errorCode == "InvalidAuthenticationToken")
            #expect(expired.errorMessage?.contains("expired") == true)
        }
    }

    @Test("Graph without a valid bearer token answers 401 InvalidAuthenticationToken")
    func noToken() async throws {
        try await withRoutes { sim in
            for token in [nil, "made-up"] as [String?] {
                for (method, path) in [("GET", "/v1.0/deviceManagement/managedDevices"), ("GET", "/beta/users"),
                                       ("POST", "/v1.0/deviceManagement/managedDevices/ios-1/remoteLock")] {
                    let answer = try await sim.send(method == "GET" ? .get : .post, path, token: token)
                    #expect(answer.status == 401)
                    #expect(answer.errorCode == "InvalidAuthenticationToken")
                    #expect(answer.headers.first(name: "WWW-Authenticate")?.hasPrefix("Bearer") == true)
                }
            }
            // nothing took effect
            #expect(try sim.journalEntries().allSatisfy { $0["type"] as? String == "request" })
        }
    }

    struct Denial: CustomTestStringConvertible, Sendable {
        var permission: String
        var method: String
        var path: String
        var testDescription: String { "without \(permission): \(method) \(path)" }
    }

    @Test("a denied permission answers 403 naming it", arguments: [
        Denial(permission: "DeviceManagementManagedDevices.PrivilegedOperations.All", method: "POST",
               path: "/v1.0/deviceManagement/managedDevices/ios-1/remoteLock"),
        Denial(permission: "DeviceManagementManagedDevices.PrivilegedOperations.All", method: "POST",
               path: "/beta/deviceManagement/managedDevices/and-fm/resetPasscode"),
        Denial(permission: "DeviceManagementManagedDevices.Read.All", method: "GET", path: "/v1.0/deviceManagement/managedDevices"),
        Denial(permission: "DeviceManagementManagedDevices.Read.All", method: "GET",
               path: "/v1.0/deviceManagement/managedDevices/ios-1?$select=deviceActionResults"),
        Denial(permission: "User.Read.All", method: "GET", path: "/v1.0/users"),
    ])
    func denied(_ denial: Denial) async throws {
        try await withRoutes({ $0.deniedPermissions = [GraphPermission(rawValue: denial.permission)!] }) { sim in
            let token = try await sim.token()
            let answer = try await sim.send(denial.method == "GET" ? .get : .post, denial.path, token: token)
            #expect(answer.status == 403)
            #expect(answer.errorCode == "Forbidden")
            #expect(answer.errorMessage == "Application is not authorized to perform this operation. Application must have "
                + "one of the following scopes: \(denial.permission)")
            #expect(try sim.journalEntries().filter { $0["type"] as? String == "effect" }.isEmpty)
        }
    }
}
