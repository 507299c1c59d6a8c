import Foundation
import InMemoryLogging
import Logging
import Testing
@testable import MDMBatchKit

@Suite("Graph logging")
struct GraphLoggingTests {
    typealias F = GraphFixtures

    @Test("debug logs carry values in metadata and never a secret, token, assertion or passcode")
    func noSecretsInLogs() async throws {
        let handler = InMemoryLogHandler()
        var logger = Logger(label: "graph", factory: { _ in handler })
        logger.logLevel = .trace
        let executor = ScriptedExecutor(token: { _, n in .token("tok-SECRET-\(n)") }) { request, n in
            if request.url.contains("$select=deviceActionResults") {
                return .status(200, body: F.json(#"{"deviceActionResults": [{"actionName": "resetPasscode", "actionState": "done", "startDateTime": "2026-11-18T11:10:00Z", "passcode": "PASS-998877"}]}"#))
            }
            if request.url.contains("/users") { return n == 4 ? .status(429, headers: [("Retry-After", "1")]) : .status(200, body: F.json(#"{"value": []}"#)) }
            return n == 1 ? .status(401) : .status(204)
        }
        let credentials = try GraphCredentials(tenantID: F.tenant, clientID: F.client, proof: .certificate(try F.certificate()))
        for proof in [try F.secretCredentials(), credentials] {
            let session = try F.session(executor, credentials: proof, logger: logger)
            let transport = GraphTransport(session: session)
            _ = try await transport.send(GraphFixtures.command())
            _ = try await transport.lookup(GraphFixtures.query())
            for try await _ in try GraphPager(session: session, path: "/users", select: ["id"], random: SharedRandom(seed: 3)) {}
        }
        let entries = handler.entries
        #expect(entries.contains { $0.message.description == "graph request" && $0.metadata["client_request_id"] != nil })
        #expect(entries.contains { $0.message.description == "signed in" })
        #expect(entries.contains { $0.message.description == "retrying a page" })
        let assertions = executor.tokenRequests.compactMap {
            formFields(String(decoding: $0.body ?? [], as: UTF8.self))["client_assertion"]
        }
        #expect(assertions.count == 1)
        let forbidden = [F.secret, "tok-SECRET", "PASS-998877"] + assertions
        for entry in entries {
            let text = "\(entry.message) \(entry.metadata)"
            for secret in forbidden { #expect(!text.contains(secret), "\(text)") }
            #expect(!entry.message.description.contains("http"), "values belong in metadata: \(entry.message)")
        }
    }

    @Test("requests and answers, printed or dumped, show no token, secret or body")
    func redactedMessages() {
        let request = GraphHTTPRequest(method: .post, url: "https://login.example/t/oauth2/v2.0/token",
                                       headers: ["Authorization": "Bearer tok-SECRET", "Accept": "application/json"],
                                       body: Array("client_secret=\(F.secret)".utf8))
        let response = GraphHTTPResponse(status: 200, body: Array(#"{"access_token":"tok-SECRET"}"#.utf8))
        for value in [request as Any, response as Any] {
            var dumped = ""
            dump(value, to: &dumped)
            for text in ["\(value)", String(reflecting: value), dumped] {
                #expect(!text.contains("tok-SECRET") && !text.contains(F.secret), "\(text)")
            }
        }
        #expect("\(request)".contains("Accept: application/json"))
    }
}
