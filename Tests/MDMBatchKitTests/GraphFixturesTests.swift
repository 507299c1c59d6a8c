import Foundation
import Testing
@testable import MDMBatchKit

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
