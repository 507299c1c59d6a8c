import AsyncHTTPClient
import Foundation
import GraphSimulator
import Testing

/// Route behaviour runs in this process on a moved clock (`withRoutes`); what needs a real
/// connection (a dropped one, a client's timeout, latency) runs the binary.
@Suite("Throttling and injected faults")
struct ThrottleAndFaultTests {
    @Test("beyond --write-limit an action answers 429 TooManyRequests with the Retry-After form asked for",
          arguments: ["whole", "fractional", "date", "absent"])
    func throttled(_ form: String) async throws {
        let window = 10.0
        try await withRoutes({
            $0.throttle?.appWrites = RateLimit(count: 5, seconds: window)
            $0.retryAfterForm = RetryAfterForm(rawValue: form)!
            $0.actionDelayMS = 0
        }) { sim in
            let token = try await sim.token()
            for _ in 0..<5 {
                #expect(try await sim.post("/v1.0/deviceManagement/managedDevices/ios-1/remoteLock", token: token).status == 204)
                sim.clock.advance(by: 0.01)
            }
            let throttled = try await sim.post("/v1.0/deviceManagement/managedDevices/ios-1/remoteLock", token: token)
            #expect(throttled.status == 429)
            #expect(throttled.errorCode == "TooManyRequests")
            let retryAfter = throttled.headers.first(name: "Retry-After")
            switch form {
            case "whole": #expect(retryAfter.flatMap(Int.init).map { (1...10).contains($0) } == true, "\(retryAfter ?? "none")")
            case "fractional":
                #expect(retryAfter?.wholeMatch(of: /[0-9]{1,2}\.[0-9]{3}/) != nil, "\(retryAfter ?? "none")")
            case "date":
                #expect(retryAfter?.wholeMatch(of: /(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT/)
                    != nil, "\(retryAfter ?? "none")")
            default: #expect(retryAfter == nil)
            }
            // reads are not writes: still allowed
            #expect(try await sim.get("/v1.0/deviceManagement/managedDevices/ios-1", token: token).status == 200)
            // a refused call took no effect and counts in no window: after the window, writes pass again
            #expect(try sim.journalEntries().filter { $0["type"] as? String == "effect" }.count == 5)
            sim.clock.advance(by: window + 0.1)
            #expect(try await sim.post("/v1.0/deviceManagement/managedDevices/ios-1/remoteLock", token: token).status == 204)
        }
    }

    @Test("--request-limit counts every request; --no-throttle lets all through")
    func requestLimit() async throws {
        try await withRoutes({ $0.throttle?.appRequests = RateLimit(count: 3, seconds: 20) }) { sim in
            let token = try await sim.token()
            let statuses = try await (0..<4).asyncMap { _ in try await sim.get("/v1.0/users", token: token).status }
            #expect(statuses == [200, 200, 200, 429])
            // the token endpoint is not throttled (a token is only had from a 200)
            _ = try await sim.token()
        }
        try await withRoutes({ $0.throttle = nil; $0.actionDelayMS = 0 }) { sim in
            let token = try await sim.token()
            for _ in 0..<220 {
                #expect(try await sim.post("/v1.0/deviceManagement/managedDevices/ios-1/remoteLock", token: token).status == 204)
            }
        }
    }

    @Test("the tenant's limits count every app of the tenant together: two apps share --tenant-write-limit and --tenant-request-limit")
    func tenantLimits() async throws {
        @Sendable func certificateToken(_ sim: any SimClient) async throws -> String {
            let answer = try await sim.requestToken(try SignInTests.assertion()(sim))
            return try #require(answer.json["access_token"] as? String, "\(answer.body)")
        }
        try await withRoutes({
            $0.throttle?.appWrites = RateLimit(count: 5, seconds: 20)
            $0.throttle?.tenantWrites = RateLimit(count: 8, seconds: 20)
            $0.actionDelayMS = 0
        }) { sim in
            let (first, second) = (try await sim.token(), try await certificateToken(sim))
            let lock = "/v1.0/deviceManagement/managedDevices/ios-1/remoteLock"
            for _ in 0..<5 { #expect(try await sim.post(lock, token: first).status == 204) }
            #expect(try await sim.post(lock, token: first).status == 429, "the first app's own limit")
            for _ in 0..<3 { #expect(try await sim.post(lock, token: second).status == 204) }
            #expect(try await sim.post(lock, token: second).status == 429, "3 of its own 5, but 8 for the tenant")
        }
        try await withRoutes({
            $0.throttle?.appRequests = RateLimit(count: 5, seconds: 20)
            $0.throttle?.tenantRequests = RateLimit(count: 8, seconds: 20)
        }) { sim in
            let (first, second) = (try await sim.token(), try await certificateToken(sim))
            for _ in 0..<5 { #expect(try await sim.get("/v1.0/users", token: first).status == 200) }
            for _ in 0..<3 { #expect(try await sim.get("/v1.0/users", token: second).status == 200) }
            #expect(try await sim.get("/v1.0/users", token: second).status == 429, "3 of its own 5, but 8 for the tenant")
        }
    }

    @Test("a dropped connection after the effect: no answer, and the journal shows the effect")
    func dropped() async throws {
        try await withSim(["--fault-rate", "1", "--faults", "drop", "--action-delay-ms", "0"]) { sim in
            let token = try await sim.token()
            let requestID = UUID().uuidString
            await #expect(throws: (any Error).self) {
                _ = try await sim.post("/v1.0/deviceManagement/managedDevices/and-fm/resetPasscode", token: token,
                                       clientRequestID: requestID)
            }
            let entries = try sim.journalEntries()
            let effect = try #require(entries.first { $0["type"] as? String == "effect" })
            #expect(effect["device_id"] as? String == "and-fm")
            #expect(effect["client_request_id"] as? String == requestID)
            let request = try #require(entries.last { $0["client_request_id"] as? String == requestID && $0["type"] as? String == "request" })
            #expect(request["status"] as? Int == 0)
            #expect(request["fault"] as? String == "drop")
            #expect(entries.filter { $0["type"] as? String == "effect" }.count == 1)
            // the service has the action, with its passcode
            #expect(try await sim.actionResults("and-fm", token: token).first?["passcode"] is String)
        }
    }

    @Test("a slow answer outlasts the client's timeout, after the effect")
    func slow() async throws {
        // 15 s against 0.3 s: once, on a loaded machine, a 2 s answer came in before the
        // client's timer fired (its event loop had not run for that long)
        try await withSim(["--fault-rate", "1", "--faults", "slow", "--slow-ms", "15000", "--action-delay-ms", "0"]) { sim in
            let token = try await sim.token()
            await #expect(throws: (any Error).self) {
                _ = try await sim.send(.POST, "/v1.0/deviceManagement/managedDevices/ios-1/remoteLock", token: token,
                                       timeout: .milliseconds(300))
            }
            let effects = try sim.journalEntries().filter { $0["type"] as? String == "effect" }
            #expect(effects.count == 1)
        }
    }

    @Test("a 503 fault refuses before the effect")
    func unavailable() async throws {
        try await withRoutes({ $0.faultRate = 1; $0.faults = [.unavailable] }) { sim in
            let token = try await sim.token()
            let answer = try await sim.post("/v1.0/deviceManagement/managedDevices/ios-1/remoteLock", token: token)
            #expect(answer.status == 503)
            #expect(answer.errorCode == "ServiceUnavailable")
            #expect(try sim.journalEntries().filter { $0["type"] as? String == "effect" }.isEmpty)
        }
    }

    @Test("--latency-ms makes each answer take between half and one and a half of it")
    func latency() async throws {
        try await withSim(["--latency-ms", "100"]) { sim in
            let token = try await sim.token()
            let clock = ContinuousClock()
            var times: [Duration] = []
            for _ in 0..<5 {
                times.append(try await clock.measure {
                    _ = try await sim.get("/v1.0/deviceManagement/managedDevices/ios-1", token: token)
                })
            }
            // every answer waits at least half the latency; the quickest is bounded only
            // loosely: a machine running four test suites at once stretched all five to 4.3 s
            #expect(times.allSatisfy { $0 >= .milliseconds(50) }, "\(times)")
            #expect(times.min()! < .seconds(15), "\(times)")
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
