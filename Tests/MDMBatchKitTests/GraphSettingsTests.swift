import Foundation
import Logging
import Testing
@testable import MDMBatchKit

@Suite("Graph settings")
struct GraphSettingsTests {
    @Test("the HTTP connection pool is as large as the run's concurrency (one connection per call in flight)", arguments: [1, 16, 64])
    func poolFollowsConcurrency(_ concurrency: Int) throws {
        var transport = TransportSettings()
        transport.kind = .graph
        let factory = TransportFactory(environment: [:], credentialsFile: nil, concurrency: concurrency, clock: SystemClock(),
                                       logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        #expect(try factory.graphSettings(transport).poolSize == concurrency)
    }

    @Test("defaults: Graph v1.0, the public authority, beta derived, scope from the Graph origin")
    func defaults() throws {
        let settings = try GraphSettings(version: "2.0.0")
        #expect(settings.graphURL == "https://graph.microsoft.com/v1.0")
        #expect(settings.authorityURL == "https://login.microsoftonline.com")
        #expect(settings.betaURL == "https://graph.microsoft.com/beta")
        #expect(settings.scope == "https://graph.microsoft.com/.default")
        #expect(settings.userAgent == "mdmbatch/2.0.0")
        #expect(settings.requestRate == RatePolicy(count: 1800, per: 20))
        #expect(settings.tokenURL(tenantID: "contoso.onmicrosoft.com")
            == "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token")
    }

    @Test("a national cloud and the simulator: trailing slashes dropped, port kept in the scope")
    func overrides() throws {
        let cloud = try GraphSettings(graphURL: "https://graph.microsoft.us/v1.0/", authorityURL: "https://login.microsoftonline.us/",
                                      version: "1")
        #expect(cloud.graphURL == "https://graph.microsoft.us/v1.0")
        #expect(cloud.betaURL == "https://graph.microsoft.us/beta")
        #expect(cloud.scope == "https://graph.microsoft.us/.default")
        let sim = try GraphSettings(graphURL: "http://127.0.0.1:8443/v1.0", authorityURL: "http://127.0.0.1:8443", version: "1")
        #expect(sim.scope == "http://127.0.0.1:8443/.default")
        #expect(sim.betaURL == "http://127.0.0.1:8443/beta")
        let explicit = try GraphSettings(graphURL: "https://graph.example/api", betaURL: "https://graph.example/beta-api", version: "1")
        #expect(explicit.betaURL == "https://graph.example/beta-api")
        #expect(try GraphSettings(graphURL: "https://graph.example/api", version: "1").betaURL == nil)
    }

    @Test("plain http is allowed to loopback only", arguments: [
        ("http://127.0.0.1:8080/v1.0", true), ("http://127.9.8.7/v1.0", true), ("http://localhost:1/v1.0", true),
        ("http://LOCALHOST/v1.0", true), ("http://[::1]:9000/v1.0", true),
        ("http://graph.microsoft.com/v1.0", false), ("http://128.0.0.1/v1.0", false), ("http://10.0.0.1/v1.0", false),
        ("http://127.0.0.1.example.com/v1.0", false), ("http://localhost.example.com/v1.0", false), ("http://[::2]/v1.0", false),
    ])
    func loopbackOnly(url: String, allowed: Bool) throws {
        do {
            _ = try GraphSettings(graphURL: url, version: "1")
            #expect(allowed, "\(url) should be refused")
        } catch let error as GraphConfigurationError {
            #expect(!allowed, "\(url) should be allowed: \(error)")
            #expect(error == .insecureURL(role: "Graph URL", url: url))
            #expect(error.failureKind == .configuration)
            #expect(error.localizedDescription.contains(url))
        }
    }

    @Test("the authority URL obeys the same rule")
    func authorityRule() {
        #expect(throws: GraphConfigurationError.insecureURL(role: "authority URL", url: "http://login.example")) {
            try GraphSettings(authorityURL: "http://login.example", version: "1")
        }
    }

    @Test("malformed URLs are configuration errors naming the URL", arguments: [
        "graph.microsoft.com/v1.0", "ftp://graph.microsoft.com/v1.0", "https:///v1.0", "https://graph.microsoft.com/v1.0?x=1",
        "https://graph.microsoft.com/v1.0#top", "https://graph.microsoft.com:99999/v1.0", "",
    ])
    func malformed(url: String) {
        do {
            _ = try GraphSettings(graphURL: url, version: "1")
            Issue.record("\(url) accepted")
        } catch let error as GraphConfigurationError {
            guard case .malformedURL(let role, let named, _) = error else { Issue.record("\(error)"); return }
            #expect(role == "Graph URL" && named == url)
            #expect(error.failureKind == .configuration)
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test("a password in a URL is refused and not repeated")
    func passwordInURL() {
        do {
            _ = try GraphSettings(graphURL: "https://user:hunter2@graph.microsoft.com/v1.0", version: "1")
            Issue.record("accepted")
        } catch {
            #expect(!error.localizedDescription.contains("hunter2"))
            #expect(error.localizedDescription.contains("graph.microsoft.com"))
        }
    }

    @Test("timeouts and the pool must be positive; connecting gives up before the request does")
    func ranges() {
        #expect(throws: GraphConfigurationError.self) { try GraphSettings(version: "1", connectTimeout: 0) }
        #expect(throws: GraphConfigurationError.self) { try GraphSettings(version: "1", readTimeout: -1) }
        #expect(throws: GraphConfigurationError.self) { try GraphSettings(version: "1", poolSize: 0) }
        #expect(throws: GraphConfigurationError.self) { try GraphSettings(version: "1", connectTimeout: 10, requestTimeout: 10) }
    }
}
