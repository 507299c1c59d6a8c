import Foundation
import Logging
import Synchronization
import Testing
@testable import MDMBatchKit

/// Helpers for the Graph tests: the fixture certificates, credentials files in a private
/// temporary folder, and a scripted HTTP executor (no server, no network, no sleeps).
enum GraphFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static let testApp = folder.appendingPathComponent("graph-test-app.pem").path
    static let testAppCertificate = folder.appendingPathComponent("graph-test-app.cert.pem").path
    static let otherApp = folder.appendingPathComponent("graph-other-app.pem").path
    static let tenant = "11111111-2222-3333-4444-555555555555"
    static let client = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    static let secret = "s3cr3t~VALUE.never-shown_0123456789"

    /// A new private folder (0700).
    static func privateFolder() throws -> URL {
        let url = try TestSupport.temporaryDirectory()
        chmod(url.path, 0o700)
        return url
    }

    /// Writes `text` to `name` in `folder` with `mode`.
    @discardableResult
    static func write(_ text: String, to name: String, in folder: URL, mode: mode_t = 0o600) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, mode)
        return path
    }

    /// A copy of a fixture with `mode` (git keeps no 0600).
    static func copy(_ fixture: String, as name: String, in folder: URL, mode: mode_t = 0o600) throws -> String {
        try write(String(contentsOfFile: fixture, encoding: .utf8), to: name, in: folder, mode: mode)
    }

    static func certificate() throws -> ClientCertificate {
        let folder = try privateFolder()
        return try ClientCertificate.load(path: copy(testApp, as: "app.pem", in: folder))
    }

    static func secretCredentials() throws -> GraphCredentials {
        try GraphCredentials(tenantID: tenant, clientID: client, proof: .clientSecret(secret))
    }

    static func settings(rate: RatePolicy? = nil, graphURL: String = GraphSettings.defaultGraphURL) throws -> GraphSettings {
        try GraphSettings(graphURL: graphURL, version: "9.9.9", requestRate: rate)
    }

    static func session(_ executor: ScriptedExecutor, credentials: GraphCredentials? = nil, clock: ImmediateClock = ImmediateClock(),
                        rate: RatePolicy? = nil, logger: Logger = Logger(label: "graph-test")) throws -> GraphSession {
        GraphSession(settings: try settings(rate: rate), credentials: try credentials ?? secretCredentials(),
                     executor: executor, clock: clock, logger: logger)
    }

    static func json(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Graph's error body; Intune's message nested as JSON text when `intune`.
    static func errorBody(code: String, message: String, intune: Bool = false) -> [UInt8] {
        let inner: String
        if intune {
            let nested = #"{"_version": 3, "Message": "\#(message)", "CustomApiErrorPhrase": "", "RetryAfter": null, "ErrorSourceService": "", "HttpHeaders": "{}"}"#
            inner = String(data: try! JSONEncoder().encode(nested), encoding: .utf8)!
        } else {
            inner = String(data: try! JSONEncoder().encode(message), encoding: .utf8)!
        }
        return json(#"{"error": {"code": "\#(code)", "message": \#(inner), "innerError": {"request-id": "r", "date": "2026-11-26T10:00:00"}}}"#)
    }
}

/// An HTTP executor that answers from scripts: one for the token endpoint, one for Graph.
/// It records every request. Each script gets the request and its number (from 1) among
/// the requests of its kind.
final class ScriptedExecutor: GraphHTTPExecutor {
    enum Step: Sendable {
        case answer(GraphHTTPResponse)
        case fail(GraphConnectionFailure)

        static func status(_ status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) -> Step {
            .answer(GraphHTTPResponse(status: status, headers: headers, body: body))
        }

        static func token(_ value: String, expiresIn: Int = 3599) -> Step {
            .status(200, body: GraphFixtures.json(#"{"token_type":"Bearer","expires_in":\#(expiresIn),"ext_expires_in":\#(expiresIn),"access_token":"\#(value)"}"#))
        }
    }

    typealias Script = @Sendable (GraphHTTPRequest, Int) async -> Step

    private let tokenScript: Script
    private let graphScript: Script
    private let log = Mutex<(requests: [GraphHTTPRequest], tokens: Int, graph: Int, shutdowns: Int)>(([], 0, 0, 0))

    /// By default the token endpoint hands out `token-1`, `token-2`, … valid for an hour.
    init(token: Script? = nil, graph: @escaping Script) {
        tokenScript = token ?? { _, n in .token("token-\(n)") }
        graphScript = graph
    }

    func execute(_ request: GraphHTTPRequest) async throws -> GraphHTTPResponse {
        let isToken = request.url.hasSuffix("/oauth2/v2.0/token")
        let number = log.withLock { log in
            log.requests.append(request)
            if isToken { log.tokens += 1; return log.tokens }
            log.graph += 1
            return log.graph
        }
        switch await (isToken ? tokenScript : graphScript)(request, number) {
        case .answer(let response): return response
        case .fail(let failure): throw failure
        }
    }

    func shutdown() async { log.withLock { $0.shutdowns += 1 } }

    var requests: [GraphHTTPRequest] { log.withLock { $0.requests } }
    var graphRequests: [GraphHTTPRequest] { requests.filter { !$0.url.hasSuffix("/oauth2/v2.0/token") } }
    var tokenRequests: [GraphHTTPRequest] { requests.filter { $0.url.hasSuffix("/oauth2/v2.0/token") } }
    var shutdowns: Int { log.withLock { $0.shutdowns } }
}

@Suite("Graph fixtures")
struct GraphFixturesTests {
    @Test("the test app's PEM holds a certificate and the RSA key that belongs to it")
    func testAppLoads() throws {
        let certificate = try GraphFixtures.certificate()
        #expect(certificate.certificateDER.count > 500)
        #expect(!certificate.thumbprintSHA256.contains("="))
    }

    @Test("the scripted executor records requests and numbers them per kind")
    func scriptNumbers() async throws {
        let executor = ScriptedExecutor { _, n in .status(200 + n) }
        let first = try await executor.execute(GraphHTTPRequest(method: .get, url: "https://graph.microsoft.com/v1.0/x"))
        _ = try await executor.execute(GraphHTTPRequest(method: .post, url: "https://login.microsoftonline.com/t/oauth2/v2.0/token"))
        let second = try await executor.execute(GraphHTTPRequest(method: .get, url: "https://graph.microsoft.com/v1.0/y"))
        #expect(first.status == 201 && second.status == 202)
        #expect(executor.tokenRequests.count == 1 && executor.graphRequests.count == 2)
    }
}
