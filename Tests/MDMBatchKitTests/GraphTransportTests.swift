import Foundation
import Logging
import Testing
@testable import MDMBatchKit

@Suite("Graph transport")
struct GraphTransportTests {
    typealias F = GraphFixtures

    private func send(answer: ScriptedExecutor.Step, action: Action = .lock) async throws -> (Result<TransportReceipt, TransportError>, ScriptedExecutor) {
        let executor = ScriptedExecutor { _, _ in answer }
        let transport = GraphTransport(session: try F.session(executor))
        do {
            return (.success(try await transport.send(F.command(action: action))), executor)
        } catch let error as TransportError {
            return (.failure(error), executor)
        }
    }

    @Test("remoteLock and resetPasscode: POST with no body and Graph's headers; 204 is accepted", arguments: [
        (Action.lock, "remoteLock"), (Action.resetPasscode, "resetPasscode"),
    ])
    func sendShape(action: Action, path: String) async throws {
        let (result, executor) = try await send(answer: .status(204), action: action)
        #expect(try result.get() == TransportReceipt(channel: nil, effect: "accepted"))
        let request = try #require(executor.graphRequests.first)
        #expect(request.method == .post && request.body == nil)
        #expect(request.url == "https://graph.microsoft.com/v1.0/deviceManagement/managedDevices/0f2c9a3e-1111-4c5d-9e8f-000000000001/\(path)")
        #expect(request.header("Authorization") == "Bearer token-1")
        #expect(request.header("Accept") == "application/json")
        #expect(request.header("client-request-id") == "attempt-1")
        #expect(request.header("User-Agent") == "mdmbatch/9.9.9")
    }

    @Test("the device id is percent-encoded in the path")
    func encodedID() async throws {
        let executor = ScriptedExecutor { _, _ in .status(204) }
        _ = try await GraphTransport(session: try F.session(executor)).send(F.command(id: "a/b?c d#é"))
        #expect(executor.graphRequests.first?.url
            == "https://graph.microsoft.com/v1.0/deviceManagement/managedDevices/a%2Fb%3Fc%20d%23%C3%A9/remoteLock")
    }

    @Test("200 is accepted too")
    func ok200() async throws {
        #expect(try await send(answer: .status(200)).0.get().effect == "accepted")
    }

    @Test("429 says nothing was done, and keeps Retry-After raw (often absent)", arguments: ["2", "2.128", "Wed, 21 Oct 2026 07:28:00 GMT", nil] as [String?])
    func throttled(retryAfter: String?) async throws {
        let headers: [(name: String, value: String)] = retryAfter.map { [("Retry-After", $0)] } ?? []
        let (result, _) = try await send(answer: .status(429, headers: headers,
                                                         body: F.errorBody(code: "TooManyRequests", message: "Too many requests")))
        guard case .failure(.throttled(let header, let message)) = result else { Issue.record("\(result)"); return }
        #expect(header == retryAfter)
        #expect(message.contains("TooManyRequests"))
    }

    @Test("500, 502, 503, 504 and 408 prove nothing: they may come after the action took effect", arguments: [500, 502, 503, 504, 408])
    func serverErrors(status: Int) async throws {
        let (result, _) = try await send(answer: .status(status, headers: [("retry-after", "3")]))
        guard case .failure(.unknownOutcome(let message)) = result else { Issue.record("\(result)"); return }
        #expect(message.contains("HTTP \(status)"), "\(message)")
    }

    @Test("a refused connection is transient with no status")
    func refused() async throws {
        let (result, _) = try await send(answer: .fail(.notSent("connection refused")))
        #expect(result == .failure(.transient(status: nil, retryAfter: nil, message: "connection refused")))
    }

    @Test("a timeout or a drop after the request was written is an unknown outcome")
    func noAnswer() async throws {
        let (result, _) = try await send(answer: .fail(.noAnswer("no answer within the read timeout")))
        #expect(result == .failure(.unknownOutcome(message: "no answer within the read timeout")))
    }

    static let operationID = "00000000-0000-0000-0000-000000000000"

    @Test("400, 404, 409 are permanent with Graph's code, Intune's reason, the Operation ID and both request ids", arguments: [
        (400, "BadRequest"), (404, "ResourceNotFound"), (409, "Conflict"),
    ])
    func permanent(status: Int, code: String) async throws {
        let body = F.errorBody(code: code, message: "An error has occurred - Operation ID (for customer support): \(Self.operationID) - Activity ID: 7 - Url: https://fef.msua06.manage.microsoft.com/x - Device is not supported", intune: true)
        let (result, _) = try await send(answer: .status(status, headers: [("request-id", "req-9")], body: body))
        #expect(result == .failure(.permanent(status: status, code: code, message: "Device is not supported",
                                              reference: ServiceReference(operationID: Self.operationID, requestID: "req-9",
                                                                          clientRequestID: "attempt-1"))))
    }

    @Test("a real Intune 400 gives only an Operation ID: refused by the service, no reason given")
    func reasonless() async throws {
        let body = F.errorBody(code: "BadRequest", message: "An error has occurred - Operation ID (for customer support): \(Self.operationID) - Activity ID: 7 - Url: https://fef.msua06.manage.microsoft.com/x", intune: true)
        let (result, _) = try await send(answer: .status(400, body: body))
        guard case .failure(let error) = result, case .permanent(400, "BadRequest", nil, let reference) = error else {
            Issue.record("\(result)")
            return
        }
        #expect(reference == ServiceReference(operationID: Self.operationID, requestID: "r", clientRequestID: "attempt-1"),
                "the innerError's request-id when no header names it")
        #expect(error.description == "HTTP 400 BadRequest: refused by the service, no reason given (Operation ID \(Self.operationID))")
    }

    @Test("a plain Graph message is kept as it is; a body that is not JSON is kept short")
    func plainMessages() async throws {
        let reference = ServiceReference(clientRequestID: "attempt-1")
        let (plain, _) = try await send(answer: .status(400, body: F.errorBody(code: "BadRequest", message: "Resource not found for the segment 'x'.")))
        #expect(plain == .failure(.permanent(status: 400, code: "BadRequest", message: "Resource not found for the segment 'x'.",
                                             reference: ServiceReference(requestID: "r", clientRequestID: "attempt-1"))))
        let (html, _) = try await send(answer: .status(404, body: F.json("<html>\n<body>Not Found</body></html>")))
        #expect(html == .failure(.permanent(status: 404, code: nil, message: "<html> <body>Not Found</body></html>", reference: reference)))
        let (empty, _) = try await send(answer: .status(409))
        #expect(empty == .failure(.permanent(status: 409, code: nil, message: nil, reference: reference)))
    }

    @Test("403 names the permission sending needs and stops the run")
    func forbidden() async throws {
        let (result, _) = try await send(answer: .status(403, body: F.errorBody(code: "Forbidden", message: "Application is not authorized to perform this operation.")))
        guard case .failure(let error) = result, case .permissionDenied(let permission, let message) = error else { Issue.record("\(result)"); return }
        #expect(permission == "DeviceManagementManagedDevices.PrivilegedOperations.All")
        #expect(message.contains("not authorized"))
        #expect(error.stopsRun)
    }

    @Test("another 5xx is an unknown outcome; another 4xx permanent")
    func otherStatuses() async throws {
        let (gateway, _) = try await send(answer: .status(507))
        guard case .failure(.unknownOutcome) = gateway else { Issue.record("\(gateway)"); return }
        let (gone, _) = try await send(answer: .status(410))
        guard case .failure(.permanent(410, nil, _, _)) = gone else { Issue.record("\(gone)"); return }
    }

    @Test("every request takes a slot of the request rate limit")
    func paced() async throws {
        let clock = ImmediateClock()
        let executor = ScriptedExecutor { _, _ in .status(204) }
        let transport = GraphTransport(session: try F.session(executor, clock: clock, rate: RatePolicy(count: 2, per: 20)))
        for _ in 0..<5 { _ = try await transport.send(F.command()) }
        // five requests at two per 20 s: the fifth waits for the third window
        #expect(clock.now() >= 40 && clock.now() < 41)
    }

    @Test("shutdown shuts the HTTP client down")
    func shutdown() async throws {
        let executor = ScriptedExecutor { _, _ in .status(204) }
        await GraphTransport(session: try F.session(executor)).shutdown()
        #expect(executor.shutdowns == 1)
    }

    // MARK: lookup

    private func lookup(_ query: ActionQuery, status: Int = 200, body: String) async throws -> (ActionLookup, ScriptedExecutor) {
        let executor = ScriptedExecutor { _, _ in .status(status, body: F.json(body)) }
        return (try await GraphTransport(session: try F.session(executor)).lookup(query), executor)
    }

    private static func results(_ items: String...) -> String {
        #"{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#deviceManagement/managedDevices(deviceActionResults)/$entity", "deviceActionResults": [\#(items.joined(separator: ","))]}"#
    }

    @Test("lookup asks for deviceActionResults with the query's request id")
    func lookupShape() async throws {
        let (_, executor) = try await lookup(F.query(), body: Self.results())
        let request = try #require(executor.graphRequests.first)
        #expect(request.method == .get)
        #expect(request.url == "https://graph.microsoft.com/v1.0/deviceManagement/managedDevices/dev-1?$select=deviceActionResults")
        #expect(request.header("client-request-id") == "ask-1")
    }

    @Test("an action started up to 5 minutes before the first send counts (clock skew); earlier ones do not")
    func skew() async throws {
        // first send at 2026-11-18T11:06:40Z (1 795 000 000)
        let (within, _) = try await lookup(F.query(secret: nil), body: Self.results(
            #"{"actionName": "resetPasscode", "actionState": "pending", "startDateTime": "2026-11-18T11:01:41Z", "lastUpdatedDateTime": "2026-11-18T11:01:41Z"}"#))
        guard case .received(let report) = within else { Issue.record("\(within)"); return }
        #expect(report.state == .pending)
        #expect(report.startedAt == Date(timeIntervalSince1970: 1_795_000_000 - 299))
        let (before, _) = try await lookup(F.query(secret: nil), body: Self.results(
            #"{"actionName": "resetPasscode", "actionState": "done", "startDateTime": "2026-11-18T11:01:39Z"}"#))
        #expect(before == .notReceived)
        let (offset, _) = try await lookup(F.query(secret: nil), body: Self.results(
            #"{"actionName": "resetPasscode", "actionState": "active", "startDateTime": "2026-11-18T03:30:00.1234567-08:00"}"#))
        guard case .received(let late) = offset else { Issue.record("\(offset)"); return }
        #expect(late.state == .active)
        #expect(abs(late.startedAt!.timeIntervalSince1970 - 1_795_000_000 - 1400.1234567) < 0.001)
    }

    @Test("several matches: the latest; other actions are ignored")
    func latest() async throws {
        let (result, _) = try await lookup(F.query(secret: nil), body: Self.results(
            #"{"actionName": "resetPasscode", "actionState": "failed", "startDateTime": "2026-11-19T08:30:00Z"}"#,
            #"{"actionName": "remoteLock", "actionState": "done", "startDateTime": "2026-11-19T09:30:00Z"}"#,
            #"{"actionName": "resetPasscode", "actionState": "done", "startDateTime": "2026-11-19T08:40:00Z", "lastUpdatedDateTime": "2026-11-19T08:41:00Z"}"#,
            #"{"actionName": "resetPasscode", "actionState": "pending", "startDateTime": "2026-11-19T08:35:00Z"}"#))
        guard case .received(let report) = result else { Issue.record("\(result)"); return }
        #expect(report.state == .done)
        #expect(report.updatedAt == GraphTimestamp.parse("2026-11-19T08:41:00Z"))
        #expect(report.secret == nil && !report.secretGone)
    }

    @Test("a reset's passcode and a lock's unlock PIN are returned while the service holds them")
    func secrets() async throws {
        let (reset, _) = try await lookup(F.query(), body: Self.results(
            ##"{"@odata.type": "#microsoft.graph.resetPasscodeActionResult", "actionName": "resetPasscode", "actionState": "done", "startDateTime": "2026-11-19T08:30:00Z", "passcode": "483920", "errorCode": 0}"##))
        guard case .received(let report) = reset else { Issue.record("\(reset)"); return }
        #expect(report.secret == ServiceSecret(kind: .temporaryPasscode, value: "483920"))
        #expect(!report.secretGone)
        #expect(!"\(reset)".contains("483920"))

        let (lock, _) = try await lookup(F.query(action: .lock, secret: .unlockPIN), body: Self.results(
            ##"{"@odata.type": "#microsoft.graph.remoteLockActionResult", "actionName": "remoteLock", "actionState": "done", "startDateTime": "2026-11-19T08:30:00Z", "unlockPin": "123456"}"##))
        guard case .received(let locked) = lock else { Issue.record("\(lock)"); return }
        #expect(locked.secret == ServiceSecret(kind: .unlockPIN, value: "123456"))
    }

    @Test("done without the secret it should have: the secret is gone")
    func secretGone() async throws {
        let (result, _) = try await lookup(F.query(), body: Self.results(
            #"{"actionName": "resetPasscode", "actionState": "done", "startDateTime": "2026-11-19T08:30:00Z", "passcode": null}"#))
        guard case .received(let report) = result else { Issue.record("\(result)"); return }
        #expect(report.secret == nil && report.secretGone)
        let (pending, _) = try await lookup(F.query(), body: Self.results(
            #"{"actionName": "resetPasscode", "actionState": "pending", "startDateTime": "2026-11-19T08:30:00Z"}"#))
        guard case .received(let waiting) = pending else { Issue.record("\(pending)"); return }
        #expect(!waiting.secretGone)
    }

    @Test("Graph's states map; none is pending", arguments: [
        ("none", DeviceActionState.pending), ("pending", .pending), ("active", .active), ("done", .done), ("failed", .failed),
        ("notSupported", .notSupported), ("canceled", .canceled),
    ])
    func states(graph: String, state: DeviceActionState) async throws {
        let (result, _) = try await lookup(F.query(secret: nil), body: Self.results(
            #"{"actionName": "resetPasscode", "actionState": "\#(graph)", "startDateTime": "2026-11-19T08:30:00Z"}"#))
        guard case .received(let report) = result else { Issue.record("\(result)"); return }
        #expect(report.state == state)
    }

    @Test("no matching action, no results, or a 404 device: not received")
    func notReceived() async throws {
        #expect(try await lookup(F.query(), body: Self.results()).0 == .notReceived)
        #expect(try await lookup(F.query(), body: #"{"deviceActionResults": null}"#).0 == .notReceived)
        #expect(try await lookup(F.query(), body: Self.results(
            #"{"actionName": "remoteLock", "actionState": "done", "startDateTime": "2026-11-19T08:30:00Z"}"#)).0 == .notReceived)
        #expect(try await lookup(F.query(), status: 404, body: String(decoding: F.errorBody(code: "ResourceNotFound", message: "gone"), as: UTF8.self)).0
            == .notReceived)
    }

    @Test("a GET that gets no answer is unanswered, with what failed (RetryDecision.afterRead judges it)", arguments: [
        ScriptedExecutor.Step.status(503), .status(429, headers: [("Retry-After", "1")]), .status(400), .fail(.noAnswer("read timeout")),
        .fail(.notSent("refused")),
    ])
    func unanswered(step: ScriptedExecutor.Step) async throws {
        let executor = ScriptedExecutor { _, _ in step }
        let result = try await GraphTransport(session: try F.session(executor)).lookup(F.query())
        guard case .unanswered(let failure) = result else { Issue.record("\(result)"); return }
        #expect(!failure.stopsRun)
    }

    @Test("an answer that cannot tell is unknown", arguments: [
        ScriptedExecutor.Step.status(200, body: Array("<html>".utf8)), .status(200, body: Array(#"{"deviceActionResults": 7}"#.utf8)),
        .status(200, body: Array(#"{"deviceActionResults": [{"actionName": "resetPasscode", "actionState": "done", "startDateTime": "yesterday"}]}"#.utf8)),
    ])
    func unknown(step: ScriptedExecutor.Step) async throws {
        let executor = ScriptedExecutor { _, _ in step }
        let result = try await GraphTransport(session: try F.session(executor)).lookup(F.query())
        guard case .unknown(let message) = result else { Issue.record("\(result)"); return }
        #expect(!message.isEmpty)
    }

    @Test("a 403 or a refused sign-in is thrown by lookup")
    func lookupThrows() async throws {
        let forbidden = ScriptedExecutor { _, _ in .status(403, body: F.errorBody(code: "Forbidden", message: "no")) }
        await #expect(throws: TransportError.permissionDenied(permission: "DeviceManagementManagedDevices.Read.All", message: "Forbidden: no")) {
            _ = try await GraphTransport(session: try F.session(forbidden)).lookup(F.query())
        }
        let refused = ScriptedExecutor(token: { _, _ in .status(401, body: F.json(#"{"error":"invalid_client"}"#)) }) { _, _ in .status(200) }
        await #expect {
            _ = try await GraphTransport(session: try F.session(refused)).lookup(F.query())
        } throws: { error in
            if case .signInRefused = error as? TransportError { return true }
            return false
        }
    }

    @Test("without a first send time, the latest result of the action counts")
    func noFirstSend() async throws {
        let (result, _) = try await lookup(F.query(firstSentAt: nil, secret: nil), body: Self.results(
            #"{"actionName": "resetPasscode", "actionState": "done", "startDateTime": "2020-01-01T00:00:00Z"}"#,
            #"{"actionName": "ResetPasscode", "actionState": "failed", "startDateTime": "2021-01-01T00:00:00Z"}"#))
        guard case .received(let report) = result else { Issue.record("\(result)"); return }
        #expect(report.state == .failed)
    }

    @Test("Graph timestamps: Z or an offset, up to 12 fractional digits", arguments: [
        ("2026-11-18T11:06:40Z", 1_795_000_000.0), ("2026-11-18T11:06:40.5Z", 1_795_000_000.5),
        ("2026-11-18T12:06:40+01:00", 1_795_000_000.0), ("2026-11-18T11:06:40.123456789012Z", 1_795_000_000.123456789012),
        ("0001-01-01T00:00:00Z", -62_135_596_800.0),
    ] as [(String, Double)])
    func timestamps(text: String, seconds: Double) {
        #expect(abs((GraphTimestamp.parse(text)?.timeIntervalSince1970 ?? .nan) - seconds) < 1e-6)
    }

    @Test("malformed timestamps are refused", arguments: [
        "2026-11-18", "2026-11-18T11:06:40", "2026-13-18T11:06:40Z", "2026-11-18T11:06:40.Z", "2026-11-18T11:06:40+0100",
        "2026-11-18T11:06:40.1234567890123Z", "2026-11-18T11:06:40Zjunk",
        // forms ISOTimestamp reads for inventories, which Graph never writes
        "2026-11-18 11:06:40Z", "2026-11-18T11:06Z", "2026-11-18T11:06:40,5Z",
    ])
    func badTimestamps(text: String) {
        #expect(GraphTimestamp.parse(text) == nil)
    }
}
