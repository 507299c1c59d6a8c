import Foundation
import Testing

/// The routes in this process, on a clock the test moves (`withRoutes`).
@Suite("Actions: remoteLock and resetPasscode, what Intune refuses, device state")
struct ActionTests {
    /// Reads the device's result of `action`, moving the clock 15 ms after each read, until
    /// `done` (or a final state) or 8 s; returns each distinct state seen with its secret field.
    static func watch(_ sim: InProcessSim, _ deviceID: String, _ action: String, token: String)
        async throws -> [(state: String, result: [String: Any])] {
        var seen: [(String, [String: Any])] = []
        for _ in 0 ..< 8_000 / 15 {
            let results = try await sim.actionResults(deviceID, token: token)
            if let result = results.first(where: { $0["actionName"] as? String == action }),
               let state = result["actionState"] as? String {
                if seen.last?.0 != state { seen.append((state, result)) }
                if ["done", "failed", "notSupported", "canceled"].contains(state) { break }
            }
            sim.clock.advance(by: 0.015)
        }
        return seen
    }

    @Test("an Android reset answers 204, then moves pending → active → done; its passcode shows from active on")
    func androidReset() async throws {
        try await withRoutes({ $0.actionDelayMS = 1500 }) { sim in
            let token = try await sim.token()
            let answer = try await sim.post("/v1.0/deviceManagement/managedDevices/and-fm/resetPasscode", token: token)
            #expect(answer.status == 204)
            #expect(answer.body.isEmpty)
            let seen = try await Self.watch(sim, "and-fm", "resetPasscode", token: token)
            #expect(seen.map(\.state) == ["pending", "active", "done"])
            let pending = try #require(seen.first?.result)
            #expect(pending["@odata.type"] as? String == "#microsoft.graph.resetPasscodeActionResult")
            #expect(pending["passcode"] is NSNull)
            let passcode = try #require(seen.last?.result["passcode"] as? String)
            #expect(passcode.wholeMatch(of: /[0-9]{8}/) != nil)
            #expect(seen[1].result["passcode"] as? String == passcode)
            let started = try #require(pending["startDateTime"] as? String)
            #expect(started.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z/) != nil)
            #expect((seen.last?.result["lastUpdatedDateTime"] as? String ?? "") > started)
        }
    }

    @Test("a Mac's lock shows a six-digit unlock PIN; a second lock before it is used is refused")
    func macLock() async throws {
        try await withRoutes({ $0.actionDelayMS = 40 }) { sim in
            let token = try await sim.token()
            #expect(try await sim.post("/v1.0/deviceManagement/managedDevices/mac-1/remoteLock", token: token).status == 204)
            let seen = try await Self.watch(sim, "mac-1", "remoteLock", token: token)
            #expect(seen.last?.state == "done")
            #expect(seen.last?.result["@odata.type"] as? String == "#microsoft.graph.remoteLockActionResult")
            let pin = try #require(seen.last?.result["unlockPin"] as? String)
            #expect(pin.wholeMatch(of: /[0-9]{6}/) != nil)

            let second = try await sim.post("/v1.0/deviceManagement/managedDevices/mac-1/remoteLock", token: token)
            #expect(second.status == 400)
            #expect(second.errorCode == "BadRequest")
            let nested = try #require(second.errorMessage.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) }
                as? [String: Any])
            #expect((nested["Message"] as? String)?.contains("already pending") == true)
            // the first PIN is still the one shown
            let results = try await sim.actionResults("mac-1", token: token)
            #expect(results.first?["unlockPin"] as? String == pin)
            let effects = try sim.journalEntries().filter { $0["type"] as? String == "effect" }
            #expect(effects.count == 1)
        }
    }

    @Test("once --unlock-pin-ttl is over, a Mac can be locked again")
    func macLockAgain() async throws {
        try await withRoutes({ $0.actionDelayMS = 0; $0.unlockPinTTL = 5 }) { sim in
            let token = try await sim.token()
            #expect(try await sim.post("/v1.0/deviceManagement/managedDevices/mac-2/remoteLock", token: token).status == 204)
            sim.clock.advance(by: 4.9)
            #expect(try await sim.post("/v1.0/deviceManagement/managedDevices/mac-2/remoteLock", token: token).status == 400)
            sim.clock.advance(by: 0.2)
            #expect(try await sim.post("/v1.0/deviceManagement/managedDevices/mac-2/remoteLock", token: token).status == 204)
        }
    }

    @Test("a repeated lock locks again and a repeated reset makes a new passcode: the journal shows both effects")
    func repeats() async throws {
        try await withRoutes({ $0.actionDelayMS = 0 }) { sim in
            let token = try await sim.token()
            for _ in 0..<2 {
                #expect(try await sim.post("/v1.0/deviceManagement/managedDevices/ios-1/remoteLock", token: token).status == 204)
            }
            #expect(try await sim.post("/v1.0/deviceManagement/managedDevices/and-ded/resetPasscode", token: token).status == 204)
            let first = try await sim.actionResults("and-ded", token: token).first?["passcode"] as? String
            #expect(try await sim.post("/v1.0/deviceManagement/managedDevices/and-ded/resetPasscode", token: token).status == 204)
            let results = try await sim.actionResults("and-ded", token: token)
            #expect(results.count == 1)
            let second = try #require(results.first?["passcode"] as? String)
            #expect(first != nil)
            #expect(second.count == 8)

            let effects = try sim.journalEntries().filter { $0["type"] as? String == "effect" }
            #expect(effects.filter { $0["device_id"] as? String == "ios-1" }.compactMap { $0["count"] as? Int } == [1, 2])
            #expect(effects.filter { $0["device_id"] as? String == "and-ded" }.compactMap { $0["count"] as? Int } == [1, 2])
            // the journal never holds a secret
            let journal = try String(contentsOf: sim.journal, encoding: .utf8)
            #expect(!journal.contains(second))
            #expect(!journal.contains("passcode\""))
            let mode = try FileManager.default.attributesOfItem(atPath: sim.journal.path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }

    @Test("an iOS reset removes the passcode: no secret; a lock elsewhere is a plain deviceActionResult")
    func noSecret() async throws {
        try await withRoutes({ $0.actionDelayMS = 0 }) { sim in
            let token = try await sim.token()
            #expect(try await sim.post("/beta/deviceManagement/managedDevices/ios-1/resetPasscode", token: token).status == 204)
            #expect(try await sim.post("/beta/deviceManagement/managedDevices/ios-1/remoteLock", token: token).status == 204)
            let results = try await sim.actionResults("ios-1", token: token)
            let reset = try #require(results.first { $0["actionName"] as? String == "resetPasscode" })
            #expect(reset["actionState"] as? String == "done")
            #expect(reset["passcode"] is NSNull)
            let lock = try #require(results.first { $0["actionName"] as? String == "remoteLock" })
            #expect(lock["@odata.type"] as? String == "#microsoft.graph.deviceActionResult")
            #expect(lock["unlockPin"] == nil)
        }
    }

    @Test("after --secret-ttl the passcode is null")
    func secretTTL() async throws {
        try await withRoutes({ $0.actionDelayMS = 0; $0.secretTTL = 2 }) { sim in
            let token = try await sim.token()
            #expect(try await sim.post("/v1.0/deviceManagement/managedDevices/and-aosp/resetPasscode", token: token).status == 204)
            #expect(try await sim.actionResults("and-aosp", token: token).first?["passcode"] is String)
            sim.clock.advance(by: 2.1)
            let result = try #require(try await sim.actionResults("and-aosp", token: token).first)
            #expect(result["actionState"] as? String == "done")
            #expect(result["passcode"] is NSNull)
        }
    }

    @Test("--fail-device ends the action failed (or as told), without a secret")
    func failDevice() async throws {
        try await withRoutes({
            $0.actionDelayMS = 0
            $0.failDevices = ["and-cwp": .failed, "ios-2": .notSupported]
        }) { sim in
            let token = try await sim.token()
            #expect(try await sim.post("/v1.0/deviceManagement/managedDevices/and-cwp/resetPasscode", token: token).status == 204)
            #expect(try await sim.post("/v1.0/deviceManagement/managedDevices/ios-2/remoteLock", token: token).status == 204)
            let reset = try #require(try await sim.actionResults("and-cwp", token: token).first)
            #expect(reset["actionState"] as? String == "failed")
            #expect(reset["passcode"] is NSNull)
            #expect(try await sim.actionResults("ios-2", token: token).first?["actionState"] as? String == "notSupported")
        }
    }

    struct Refused: CustomTestStringConvertible, Sendable {
        var device: String
        var action: String
        var testDescription: String { "\(action) on \(device)" }
    }

    @Test("what Intune refuses answers 400 in its nested format, and nothing takes effect", arguments: [
        Refused(device: "win-1", action: "remoteLock"), Refused(device: "lin-1", action: "remoteLock"),
        Refused(device: "chr-1", action: "remoteLock"), Refused(device: "and-da", action: "remoteLock"),
        Refused(device: "and-pwp", action: "remoteLock"), Refused(device: "vis-old", action: "remoteLock"),
        Refused(device: "mac-1", action: "resetPasscode"), Refused(device: "vis-1", action: "resetPasscode"),
        Refused(device: "win-1", action: "resetPasscode"), Refused(device: "and-da", action: "resetPasscode"),
        Refused(device: "jamf-1", action: "remoteLock"),
    ])
    func refused(_ case_: Refused) async throws {
        try await withRoutes { sim in
            let token = try await sim.token()
            let requestID = UUID().uuidString.lowercased()
            let answer = try await sim.post("/v1.0/deviceManagement/managedDevices/\(case_.device)/\(case_.action)",
                                            token: token, clientRequestID: requestID)
            #expect(answer.status == 400)
            #expect(answer.errorCode == "BadRequest")
            let message = try #require(answer.errorMessage)
            #expect(message.hasPrefix("{\r\n  \"_version\": 3,\r\n  \"Message\": \"An error has occurred - Operation ID (for customer support): "))
            let nested = try #require(try JSONSerialization.jsonObject(with: Data(message.utf8)) as? [String: Any])
            let text = try #require(nested["Message"] as? String)
            #expect(text.contains("Activity ID: \(requestID)"))
            #expect(text.contains("Url: \(sim.url)/v1.0/deviceManagement/managedDevices/\(case_.device)/\(case_.action)"))
            #expect(text.contains("not supported") || text.contains("requires") || text.contains("not managed"))
            #expect(nested["CustomApiErrorPhrase"] as? String == "")
            let inner = try #require((answer.json["error"] as? [String: Any])?["innerError"] as? [String: Any])
            #expect(inner["client-request-id"] as? String == requestID)
            #expect(inner["request-id"] is String && inner["date"] is String)
            #expect(answer.headers.first(name: "client-request-id") == requestID)
            #expect(try sim.journalEntries().filter { $0["type"] as? String == "effect" }.isEmpty)
        }
    }

    @Test("what Intune accepts (Android of unknown enrollment, AOSP, visionOS 2) answers 204", arguments: [
        ("and-unk", "remoteLock"), ("and-unk", "resetPasscode"), ("and-aosp", "remoteLock"), ("and-pwp", "resetPasscode"),
        ("vis-1", "remoteLock"), ("ios-2", "resetPasscode"), ("and-ded", "remoteLock"),
    ])
    func accepted(_ device: String, _ action: String) async throws {
        try await withRoutes({ $0.actionDelayMS = 0 }) { sim in
            let token = try await sim.token()
            #expect(try await sim.post("/v1.0/deviceManagement/managedDevices/\(device)/\(action)", token: token).status == 204)
            let effects = try sim.journalEntries().filter { $0["type"] as? String == "effect" }
            #expect(effects.count == 1)
            #expect(effects.first?["device_id"] as? String == device)
            #expect(effects.first?["action"] as? String == action)
        }
    }

    @Test("an unknown device id answers 404 ResourceNotFound")
    func unknownDevice() async throws {
        try await withRoutes { sim in
            let token = try await sim.token()
            for action in ["remoteLock", "resetPasscode"] {
                let answer = try await sim.post("/v1.0/deviceManagement/managedDevices/no-such-device/\(action)", token: token)
                #expect(answer.status == 404)
                #expect(answer.errorCode == "ResourceNotFound")
            }
        }
    }
}
