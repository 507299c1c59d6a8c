import Foundation
import Logging
import Testing
@testable import MDMBatchKit

/// Helpers for the Graph tests: the fixture certificates, credentials files in a private
/// temporary folder, settings and a session over a `ScriptedExecutor` (no server, no
/// network, no sleeps), a command and a query to hand a transport, and Graph's answers.
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

    /// A lock (or `action`) of one Android device, as the engine hands it to a transport.
    static func command(id: String = "0f2c9a3e-1111-4c5d-9e8f-000000000001", action: Action = .lock,
                        attemptID: String = "attempt-1") -> DeviceCommand {
        DeviceCommand(idempotencyKey: "k", action: action, deviceID: id, platform: .android, management: .mdm, attempt: 1,
                      attemptID: attemptID)
    }

    /// A lookup of what became of an earlier send, as the engine asks a transport.
    static func query(action: Action = .resetPasscode, firstSentAt: Date? = Date(timeIntervalSince1970: 1_795_000_000),
                      secret: SecretKind? = .temporaryPasscode) -> ActionQuery {
        ActionQuery(idempotencyKey: "k", action: action, deviceID: "dev-1", platform: .android, firstSentAt: firstSentAt,
                    secret: secret, requestID: "ask-1")
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

/// A form body's fields (the first of a repeated one).
func formFields(_ body: String) -> [String: String] {
    Dictionary(FormFields(body).pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
}
