import Foundation
import Testing

/// Sign-in and Graph answers no well-behaved simulator gives, from a scripted server on
/// loopback: a transient token endpoint, a refused sign-in, a run that needs none
/// (issue 23, item 11).
@Suite("Sign-in against a scripted authority (the built binary)", .serialized)
struct ScriptedSignInTests {
    /// Runs `batch` (CSV text) over Graph against an authority that refuses every sign-in;
    /// returns the result and how many sign-ins were asked for.
    static func runRefusingSignIn(_ batch: String) async throws -> (result: CLIHarness.Result, signIns: Int) {
        let cli = try Fleets.loaded()
        let server = try ScriptedHTTPServer { _, _ in .json(401, #"{"error":"invalid_client"}"#) }
        defer { server.stop() }
        let result = try await cli.mdm(["run", try cli.write("b.csv", batch)] + server.flags, environment: ScriptedHTTPServer.environment)
        return (result, server.tokenRequests)
    }

    @Test("item 11: a 500 or a 429 from the token endpoint is asked again like any transient answer: the run finishes",
          arguments: [500, 429])
    func transientSignIn(status: Int) async throws {
        let cli = try Fleets.loaded()
        let server = try ScriptedHTTPServer.acceptingGraph { number in
            number == 1 ? .answer(status: status, headers: ["Retry-After: 1"], body: Array(#"{"error":"temporarily_unavailable"}"#.utf8))
                : .token()
        }
        defer { server.stop() }
        let batch = try cli.write("b.csv", "request_id,action,target\nr-1,lock,d-0001\n")
        let result = try await cli.mdm(["run", batch, "--rate", "off"] + server.flags, environment: ScriptedHTTPServer.environment)
        #expect(result.status == 0, "\(result)")
        #expect(server.tokenRequests == 2)
        #expect(try await cli.dispatchStates() == ["succeeded": 1])
    }

    @Test("item 11: a run whose elements are all rejected does not sign in, and says what it did (1)")
    func allRejectedNoSignIn() async throws {
        let (result, signIns) = try await Self.runRefusingSignIn("request_id,action,target\nr-1,lock,d-0004\n")
        #expect(result.status == 1, "\(result)")
        #expect(signIns == 0)
        #expect(result.stdout.contains("rejected"), "\(result.stdout)")
    }

    @Test("item 11: a refused sign-in still prints the run's summary, then exits 77")
    func summaryWhenSignInFails() async throws {
        let (result, signIns) = try await Self.runRefusingSignIn("request_id,action,target\nr-1,lock,d-0004\nr-2,lock,d-0001\n")
        #expect(result.status == 77, "\(result)")
        #expect(signIns >= 1)
        #expect(result.stdout.contains("rejected") && result.stdout.contains("interrupted"), "\(result.stdout)")
    }

    @Test("item 11: import --from-graph accepts --transport graph, as DESIGN lists it")
    func importTransportGraph() async throws {
        let cli = try CLIHarness()
        let page = #"{"value":[{"id":"g-1","deviceName":"ok","operatingSystem":"iOS","osVersion":"17.2","managementAgent":"mdm"}]}"#
        let server = try ScriptedHTTPServer { request, _ in request.path.hasSuffix("/oauth2/v2.0/token") ? .token() : .json(200, page) }
        defer { server.stop() }
        let result = try await cli.mdm(["import", "devices", "--from-graph"] + server.flags, environment: ScriptedHTTPServer.environment)
        #expect(result.status == 0, "\(result)")
        #expect(try await cli.query("SELECT device_id FROM devices") == "g-1")
    }
}
