import Foundation
import Logging
import Testing
@testable import MDMBatchKit

@Suite("Graph pager")
struct GraphPagerTests {
    typealias F = GraphFixtures
    static let first = "https://graph.microsoft.com/v1.0/deviceManagement/managedDevices?$select=id,deviceName&$top=2"
    static let second = "https://graph.microsoft.com/v1.0/deviceManagement/managedDevices?$select=id,deviceName&$top=2&$skiptoken=abc%3D%3D"
    static let third = "https://graph.microsoft.com/v1.0/deviceManagement/managedDevices?$select=id,deviceName&$top=2&$skiptoken=def"

    static func page(_ ids: [String], next: String?) -> [UInt8] {
        let link = next.map { #""@odata.nextLink": "\#($0.replacingOccurrences(of: "/", with: "\\/"))", "# } ?? ""
        let values = ids.map { #"{"id": "\#($0)", "deviceName": "n-\#($0)"}"# }.joined(separator: ", ")
        return F.json(#"{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#deviceManagement/managedDevices(id,deviceName)", \#(link)"value": [\#(values)]}"#)
    }

    private func collect(_ pager: GraphPager) async throws -> [GraphPage] {
        var pages: [GraphPage] = []
        for try await page in pager { pages.append(page) }
        return pages
    }

    private func pager(_ executor: ScriptedExecutor, clock: ImmediateClock = ImmediateClock(), retry: RetryPolicy = RetryPolicy(),
                       api: GraphAPIVersion = .v1) throws -> GraphPager {
        try GraphPager(session: try F.session(executor, clock: clock), path: "/deviceManagement/managedDevices",
                       select: ["id", "deviceName"], top: 2, api: api, policy: PageReadPolicy(retry: retry), random: SharedRandom(seed: 7))
    }

    @Test("three pages followed whole through @odata.nextLink until it is absent")
    func threePages() async throws {
        let executor = ScriptedExecutor { request, _ in
            switch request.url {
            case Self.first: .status(200, body: Self.page(["a", "b"], next: Self.second))
            case Self.second: .status(200, body: Self.page(["c", "d"], next: Self.third))
            case Self.third: .status(200, body: Self.page(["e"], next: nil))
            default: .status(404)
            }
        }
        let pages = try await collect(try pager(executor))
        #expect(pages.map(\.url) == [Self.first, Self.second, Self.third])
        #expect(pages.map(\.count) == [2, 2, 1])
        #expect(pages.map(\.number) == [1, 2, 3])
        #expect(pages[2].body == Self.page(["e"], next: nil))
        #expect(executor.graphRequests.map(\.url) == [Self.first, Self.second, Self.third])
        #expect(Set(executor.graphRequests.map { $0.header("Authorization") }) == ["Bearer token-1"])
    }

    @Test("the beta endpoint, and /users with User.Read.All")
    func betaAndUsers() async throws {
        let executor = ScriptedExecutor { _, _ in .status(200, body: F.json(#"{"value": []}"#)) }
        let pages = try await collect(try pager(executor, api: .beta))
        #expect(pages.first?.url == "https://graph.microsoft.com/beta/deviceManagement/managedDevices?$select=id,deviceName&$top=2")
        let users = try GraphPager(session: try F.session(executor), path: "/users", select: ["userPrincipalName"], top: 999,
                                   random: SharedRandom(seed: 1))
        #expect(users.permission == "User.Read.All")
        #expect(users.firstURL == "https://graph.microsoft.com/v1.0/users?$select=userPrincipalName&$top=999")
    }

    @Test("a throttled page is asked again after its Retry-After")
    func throttled() async throws {
        let clock = ImmediateClock()
        let executor = ScriptedExecutor { request, n in
            if request.url == Self.first { return .status(200, body: Self.page(["a"], next: Self.second)) }
            if n == 2 { return .status(429, headers: [("Retry-After", "12.5")]) }
            if n == 3 { return .fail(.noAnswer("read timeout")) }
            return .status(200, body: Self.page(["b"], next: nil))
        }
        let pages = try await collect(try pager(executor, clock: clock, retry: RetryPolicy(maxAttempts: 5, baseDelay: 0.5, maxDelay: 4)))
        #expect(pages.map(\.url) == [Self.first, Self.second])
        #expect(executor.graphRequests.map(\.url) == [Self.first, Self.second, Self.second, Self.second])
        // 12.5 s for the 429, then at most 1 s (jitter after the second attempt) for the timeout
        #expect(clock.now() >= 12.5 && clock.now() <= 13.5)
    }

    @Test("a page that keeps failing transiently gives up (75)")
    func exhausted() async throws {
        let executor = ScriptedExecutor { _, _ in .status(503) }
        do {
            _ = try await collect(try pager(executor, retry: RetryPolicy(maxAttempts: 3)))
            Issue.record("no error")
        } catch let error as GraphPagerError {
            guard case .gaveUp(let url, 3, .unknownOutcome(let message)) = error, message.contains("HTTP 503") else {
                Issue.record("\(error)")
                return
            }
            #expect(url == Self.first)
            #expect(error.failureKind == .temporary)
            #expect(error.localizedDescription.contains(Self.first))
        }
        #expect(executor.graphRequests.count == 3)
    }

    @Test("a page that is not JSON, or has no value array, is malformed (65), named by URL and offset", arguments: [
        (#"{"value": [{"id": "a"}, {"id": "b",]}"#, 35), (#"<html>"#, 0), (#"{"@odata.nextLink": null}"#, 0),
        (#"{"value": {"id": "a"}}"#, 10), (#"{"value": [1, 2]} trailing"#, 18), (#"{"value": ["unterminated]}"#, 26),
        ("", 0),
    ])
    func malformed(body: String, offset: Int) async throws {
        let executor = ScriptedExecutor { request, _ in
            request.url == Self.first ? .status(200, body: Self.page(["a"], next: Self.second)) : .status(200, body: F.json(body))
        }
        var seen: [String] = []
        do {
            for try await page in try pager(executor) { seen.append(page.url) }
            Issue.record("no error")
        } catch let error as GraphPagerError {
            #expect(error == .malformedPage(url: Self.second, offset: offset, reason: {
                if case .malformedPage(_, _, let reason) = error { return reason }
                return ""
            }()))
            #expect(error.failureKind == .dataError)
            #expect(error.localizedDescription.hasPrefix("\(Self.second): offset \(offset): "))
        }
        #expect(seen == [Self.first])
    }

    @Test("a nextLink to another host is refused: the token would go there")
    func foreignLink() async throws {
        let executor = ScriptedExecutor { _, _ in .status(200, body: Self.page(["a"], next: "https://evil.example/v1.0/x")) }
        await #expect {
            _ = try await collect(try pager(executor))
        } throws: { error in
            guard let error = error as? GraphPagerError, case .malformedPage(_, nil, let reason) = error else { return false }
            return reason.contains("evil.example")
        }
        #expect(executor.graphRequests.count == 1)
    }

    @Test("403 names the permission (77); a 400 is configuration (78)")
    func refused() async throws {
        let forbidden = ScriptedExecutor { _, _ in .status(403, body: F.errorBody(code: "Authorization_RequestDenied", message: "Insufficient privileges")) }
        do {
            _ = try await collect(try pager(forbidden))
            Issue.record("no error")
        } catch let error as GraphPagerError {
            guard case .refused(_, .permissionDenied(let permission, _)) = error else { Issue.record("\(error)"); return }
            #expect(permission == "DeviceManagementManagedDevices.Read.All")
            #expect(error.failureKind == .noPermission)
        }
        let bad = ScriptedExecutor { _, _ in .status(400, body: F.errorBody(code: "BadRequest", message: "Could not find a property named 'x'")) }
        do {
            _ = try await collect(try pager(bad))
            Issue.record("no error")
        } catch let error as GraphPagerError {
            #expect(error.failureKind == .configuration)
            #expect(error.localizedDescription.contains("Could not find a property"))
        }
        #expect(forbidden.graphRequests.count == 1 && bad.graphRequests.count == 1)
    }

    @Test("beta without a beta URL is a configuration error")
    func noBeta() throws {
        let executor = ScriptedExecutor { _, _ in .status(200) }
        let session = GraphSession(settings: try GraphSettings(graphURL: "https://graph.example/api", version: "1"),
                                   credentials: try F.secretCredentials(), executor: executor, clock: ImmediateClock(),
                                   logger: Logger(label: "t"))
        #expect(throws: GraphConfigurationError.noBetaURL(graphURL: "https://graph.example/api")) {
            try GraphPager(session: session, path: "/users", api: .beta, random: SharedRandom(seed: 1))
        }
    }

    @Test("pages are paced by the session's request limit, shared with sends")
    func paced() async throws {
        let clock = ImmediateClock()
        let executor = ScriptedExecutor { request, _ in
            switch request.url {
            case Self.first: .status(200, body: Self.page(["a"], next: Self.second))
            case Self.second: .status(200, body: Self.page(["b"], next: Self.third))
            default: .status(200, body: Self.page(["c"], next: nil))
            }
        }
        let session = try F.session(executor, clock: clock, rate: RatePolicy(count: 1, per: 10))
        _ = try await GraphTransport(session: session).send(GraphFixtures.command())
        var pages = 0
        for try await _ in try GraphPager(session: session, path: "/deviceManagement/managedDevices", select: ["id", "deviceName"],
                                          top: 2, random: SharedRandom(seed: 1)) { pages += 1 }
        #expect(pages == 3)
        // one send and three pages at one per 10 s
        #expect(clock.now() >= 30 && clock.now() < 31)
    }
}
