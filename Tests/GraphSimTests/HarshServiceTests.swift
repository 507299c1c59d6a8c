import Foundation
import Testing
@testable import GraphSimulator

/// DESIGN.md, "graph-sim, as harsh as Intune": each harshness alone, on the routes in this
/// process, time moved by hand.
@Suite("As harsh as Intune: results lag, faults after the effect, other apps' load, reasonless 400s, a second Mac lock")
struct HarshServiceTests {
    static func path(_ device: String, _ action: String) -> String {
        "/v1.0/deviceManagement/managedDevices/\(device)/\(action)"
    }

    @Test("--results-lag: an action shows only after its seeded lag (at most the lag given), with its effect's startDateTime")
    func resultsLag() async throws {
        try await withRoutes({ $0.resultsLag = 5; $0.actionDelayMS = 0 }) { sim in
            let token = try await sim.token()
            let effectTime = sim.clock.now()
            #expect(try await sim.post(Self.path("and-fm", "resetPasscode"), token: token).status == 204)
            #expect(try await sim.actionResults("and-fm", token: token).isEmpty)
            #expect(try sim.effects().count == 1, "in effect at once, shown later")
            var shownAfter: Int?
            var shown: [String: Any] = [:]
            for step in 1...51 {
                sim.clock.advance(by: 0.1)
                let results = try await sim.actionResults("and-fm", token: token)
                if let result = results.first {
                    shownAfter = shownAfter ?? step
                    shown = result
                } else {
                    #expect(shownAfter == nil, "shown after \(shownAfter ?? 0) steps, then gone at \(step)")
                }
            }
            let steps = try #require(shownAfter, "not shown within the lag")
            #expect(steps > 1 && steps <= 50, "\(steps)")
            #expect(shown["startDateTime"] as? String == GraphTime.string(effectTime))
            #expect(shown["actionState"] as? String == "done")
            #expect(shown["passcode"] is String)
        }
    }

    @Test("--results-lag: until a lagging action shows, the one before it is shown; then the later one wins")
    func resultsLagKeepsThePrevious() async throws {
        try await withRoutes({ $0.resultsLag = 5; $0.actionDelayMS = 0 }) { sim in
            let token = try await sim.token()
            let first = GraphTime.string(sim.clock.now())
            #expect(try await sim.post(Self.path("ios-1", "remoteLock"), token: token).status == 204)
            sim.clock.advance(by: 5)
            #expect(try await sim.actionResults("ios-1", token: token).map { $0["startDateTime"] as? String } == [first])
            let second = GraphTime.string(sim.clock.now())
            #expect(try await sim.post(Self.path("ios-1", "remoteLock"), token: token).status == 204)
            #expect(try await sim.actionResults("ios-1", token: token).map { $0["startDateTime"] as? String } == [first])
            sim.clock.advance(by: 5)
            #expect(try await sim.actionResults("ios-1", token: token).map { $0["startDateTime"] as? String } == [second])
            #expect(try sim.effects().compactMap { $0["count"] as? Int } == [1, 2])
        }
    }

    struct AfterEffect: Sendable, CustomTestStringConvertible {
        var fault: WriteFault
        var status: Int
        var code: String
        var testDescription: String { fault.rawValue }
    }

    @Test("--faults 500, 502, 504: the action takes effect, then that status; the journal names the fault", arguments: [
        AfterEffect(fault: .internalServerError, status: 500, code: "InternalError"),
        AfterEffect(fault: .badGateway, status: 502, code: "UnknownError"),
        AfterEffect(fault: .gatewayTimeout, status: 504, code: "UnknownError"),
    ])
    func faultAfterEffect(_ case_: AfterEffect) async throws {
        try await withRoutes({ $0.faultRate = 1; $0.faults = [case_.fault]; $0.actionDelayMS = 0 }) { sim in
            let token = try await sim.token()
            let clientRequestID = UUID().uuidString.lowercased()
            let answer = try await sim.post(Self.path("and-fm", "resetPasscode"), token: token, clientRequestID: clientRequestID)
            #expect(answer.status == case_.status)
            #expect(answer.errorCode == case_.code)
            let inner = try #require((answer.json["error"] as? [String: Any])?["innerError"] as? [String: Any])
            let requestID = try #require(answer.headers.first(name: "request-id"))
            #expect(inner["request-id"] as? String == requestID)
            #expect(inner["client-request-id"] as? String == clientRequestID)
            if case_.status == 500 {
                // Intune's own failure: its nested message, no reason
                let nested = try #require(answer.errorMessage.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) }
                    as? [String: Any])
                let message = try #require(nested["Message"] as? String)
                #expect(message.hasPrefix("An internal server error has occurred - Operation ID (for customer support): "))
                #expect(message.hasSuffix(" - Url: \(sim.url)\(Self.path("and-fm", "resetPasscode"))"))
            }
            let entries = try sim.journalEntries()
            let effect = try #require(entries.first { $0["type"] as? String == "effect" })
            #expect(effect["device_id"] as? String == "and-fm")
            #expect(effect["client_request_id"] as? String == clientRequestID)
            let request = try #require(entries.last { $0["type"] as? String == "request" && $0["client_request_id"] as? String == clientRequestID })
            #expect(request["status"] as? Int == case_.status)
            #expect(request["fault"] as? String == case_.fault.rawValue)
            // the device has the action, and its passcode
            let result = try #require(try await sim.actionResults("and-fm", token: token).first)
            #expect(result["passcode"] is String)
            // what takes no effect meets no such fault: a refusal stays a refusal
            #expect(try await sim.post(Self.path("win-1", "remoteLock"), token: token).status == 400)
            #expect(try await sim.post(Self.path("no-such-device", "remoteLock"), token: token).status == 404)
            #expect(try sim.effects().count == 1)
        }
    }

    @Test("--foreign-load spends the tenant's write budget: our write meets a 429 without Retry-After, and takes no effect")
    func foreignLoad() async throws {
        try await withRoutes({ $0.foreignLoad = 1_000; $0.retryAfterForm = .whole; $0.actionDelayMS = 0 }) { sim in
            let token = try await sim.token()
            #expect(try await sim.post(Self.path("ios-1", "remoteLock"), token: token).status == 204)
            // other apps' 1 000 a second take the rest of the tenant's 400 within half a second;
            // none of them leaves the window before 20 s
            sim.clock.advance(by: 1)
            var refused = 0
            for _ in 0..<10 {
                sim.clock.advance(by: 0.1)
                let answer = try await sim.post(Self.path("ios-1", "remoteLock"), token: token)
                guard answer.status != 204 else { continue }
                refused += 1
                #expect(answer.status == 429)
                #expect(answer.errorCode == "TooManyRequests")
                #expect(answer.headers.first(name: "Retry-After") == nil)
                #expect(answer.headers.first(name: "request-id") != nil)
            }
            #expect(refused == 10)
            #expect(try sim.effects().count == 1)
            // reads have a budget of their own
            #expect(try await sim.get("/v1.0/deviceManagement/managedDevices/ios-1", token: token).status == 200)
        }
        // the app's own limit still says when to come back, foreign load or not
        try await withRoutes({
            $0.foreignLoad = 1; $0.retryAfterForm = .whole; $0.actionDelayMS = 0
            $0.throttle?.appWrites = RateLimit(count: 1, seconds: 20)
        }) { sim in
            let token = try await sim.token()
            #expect(try await sim.post(Self.path("ios-1", "remoteLock"), token: token).status == 204)
            let own = try await sim.post(Self.path("ios-1", "remoteLock"), token: token)
            #expect(own.status == 429)
            #expect(own.headers.first(name: "Retry-After") == "20")
        }
    }

    @Test("--realistic's foreign load: at 200 writes per 20 s a client meets 429s without Retry-After; at 50, none",
          arguments: [(0.1, true), (0.4, false)])
    func pacedUnderForeignLoad(_ interval: Double, _ throttled: Bool) async throws {
        try await withRoutes({ $0.foreignLoad = SimConfiguration.realisticForeignLoad; $0.actionDelayMS = 0 }) { sim in
            let token = try await sim.token()
            var refused = 0, accepted = 0
            for _ in 0 ..< Int((60 / interval).rounded()) {
                sim.clock.advance(by: interval)
                let answer = try await sim.post(Self.path("ios-1", "remoteLock"), token: token)
                if answer.status == 429 {
                    refused += 1
                    #expect(answer.headers.first(name: "Retry-After") == nil)
                } else {
                    #expect(answer.status == 204)
                    accepted += 1
                }
            }
            #expect((refused > 0) == throttled, "\(refused) refused, \(accepted) accepted")
            #expect(accepted > 100)
            #expect(try sim.effects().count == accepted)
        }
    }

    @Test("--reasonless-400: a refusal carries only Intune's Operation ID, Activity ID and URL; request-id on every answer")
    func reasonless400() async throws {
        try await withRoutes({ $0.reasonless400 = true }) { sim in
            let token = try await sim.token()
            let clientRequestID = UUID().uuidString.lowercased()
            let answer = try await sim.post(Self.path("win-1", "remoteLock"), token: token, clientRequestID: clientRequestID)
            #expect(answer.status == 400)
            #expect(answer.errorCode == "BadRequest")
            let nested = try #require(answer.errorMessage.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) }
                as? [String: Any])
            let message = try #require(nested["Message"] as? String)
            let prefix = "An error has occurred - Operation ID (for customer support): "
            let suffix = " - Activity ID: \(clientRequestID) - Url: \(sim.url)\(Self.path("win-1", "remoteLock"))"
            #expect(message.hasPrefix(prefix) && message.hasSuffix(suffix), "\(message)")
            let operationID = message.dropFirst(prefix.count).dropLast(suffix.count)
            #expect(UUID(uuidString: String(operationID)) != nil, "\(operationID)")
            let inner = try #require((answer.json["error"] as? [String: Any])?["innerError"] as? [String: Any])
            #expect(inner["request-id"] as? String == answer.headers.first(name: "request-id"))
            #expect(try sim.effects().isEmpty)

            for answer in [
                try await sim.post(Self.path("ios-1", "remoteLock"), token: token),
                try await sim.get("/v1.0/deviceManagement/managedDevices/ios-1", token: token),
                try await sim.get("/v1.0/deviceManagement/managedDevices/nope", token: token),
                try await sim.get("/v1.0/nothing/here", token: token),
                try await sim.get("/v1.0/users", token: "not-a-token"),
            ] {
                #expect(UUID(uuidString: answer.headers.first(name: "request-id") ?? "") != nil, "\(answer.status)")
            }
        }
    }

    @Test("--second-mac-lock fails: a second Mac lock while the PIN is unused is accepted, then fails; the first PIN stays outstanding")
    func secondMacLockFails() async throws {
        try await withRoutes({ $0.secondMacLock = .fails; $0.actionDelayMS = 0 }) { sim in
            let token = try await sim.token()
            #expect(try await sim.post(Self.path("mac-1", "remoteLock"), token: token).status == 204)
            let first = try #require(try await sim.actionResults("mac-1", token: token).first)
            #expect(first["actionState"] as? String == "done")
            #expect((first["unlockPin"] as? String)?.count == 6)
            for _ in 0..<2 {
                sim.clock.advance(by: 60)
                let started = GraphTime.string(sim.clock.now())
                #expect(try await sim.post(Self.path("mac-1", "remoteLock"), token: token).status == 204)
                let result = try #require(try await sim.actionResults("mac-1", token: token).first)
                #expect(result["actionState"] as? String == "failed")
                #expect(result["startDateTime"] as? String == started)
                #expect(result["unlockPin"] is NSNull)
            }
            let effects = try sim.effects()
            #expect(effects.compactMap { $0["count"] as? Int } == [1, 2, 3])
            #expect(effects.map { $0["fails_on_device"] as? Bool } == [nil, true, true])
        }
        try await withRoutes({ $0.actionDelayMS = 0 }) { sim in
            let token = try await sim.token()
            #expect(try await sim.post(Self.path("mac-1", "remoteLock"), token: token).status == 204)
            let second = try await sim.post(Self.path("mac-1", "remoteLock"), token: token)
            #expect(second.status == 400, "refused by default")
            #expect(second.errorMessage?.contains("already pending") == true)
            #expect(try sim.effects().count == 1)
        }
    }

    @Test("--realistic turns every harshness on, with a results lag of 5 s")
    func realistic() {
        var configuration = SimConfiguration()
        configuration.makeRealistic()
        #expect(configuration.resultsLag == 5)
        #expect(configuration.faultRate > 0 && configuration.faultRate <= 0.1)
        #expect(Set(configuration.faults) == Set(WriteFault.allCases))
        #expect(configuration.foreignLoad > 0)
        #expect(configuration.reasonless400)
        #expect(configuration.secondMacLock == .fails)
    }

    @Test("flag values: durations and rates")
    func flagValues() {
        #expect(FlagValues.seconds("5s") == 5)
        #expect(FlagValues.seconds("500ms") == 0.5)
        #expect(FlagValues.seconds("2") == 2)
        #expect(FlagValues.seconds("0") == 0)
        #expect(FlagValues.seconds("0s") == 0)
        #expect(FlagValues.seconds("1m") == 60)
        #expect(FlagValues.seconds("soon") == nil)
        #expect(FlagValues.seconds("-1s") == nil)
        #expect(FlagValues.perSecond("15/s") == 15)
        #expect(FlagValues.perSecond("15") == 15)
        #expect(FlagValues.perSecond("300/20s") == 15)
        #expect(FlagValues.perSecond("300/20") == 15)
        #expect(FlagValues.perSecond("0") == 0)
        #expect(FlagValues.perSecond("many") == nil)
        #expect(FlagValues.perSecond("5/") == nil)
        #expect(FlagValues.perSecond("-3/s") == nil)
    }
}
