import Foundation
import Testing

/// The Graph path end to end (the built `mdmbatch` against `graph-sim` on loopback):
/// signing in, tokens that expire, permissions the tenant lacks, and the configurations
/// refused before anything is sent.
@Suite("Graph end to end: sign-in, tokens, permissions, refused configurations", .serialized)
struct GraphSignInTests {
    @Test("signs in with a client secret or with a certificate, sends each action once, and names each attempt's client-request-id in the audit",
          arguments: ["client secret", "certificate"])
    func signIn(proof: String) async throws {
        let cli = try CLIHarness()
        let devices = GraphFleet.mixed(6)
        let (fleet, batch) = try await GraphFleet.prepare(cli, devices)
        let sim = try await GraphSim.start(cli, fleet: fleet, ["--action-delay-ms", "0"])
        let environment = proof == "certificate" ? try GraphSim.certificateEnvironment(cli) : sim.secretEnvironment()
        let result = try await cli.mdm(["run", batch] + sim.flags + ["--rate", "off", "--concurrency", "4"], environment: environment)
        await sim.stop()
        #expect(result.status == 0, "\(result)")

        let tokens = try sim.tokenRequests()
        #expect(tokens.count == 1, "one sign-in for the whole run: \(tokens)")
        #expect(tokens.first?["status"] as? Int == 200)
        #expect(tokens.first?["app"] as? String == (proof == "certificate" ? GraphSim.certificateApp : GraphSim.secretApp))
        let effects = try sim.effects()
        for device in devices {
            let action = device.action == "lock" ? "remoteLock" : "resetPasscode"
            #expect(effects[device.id] == [action: 1], "\(device.id): \(effects[device.id] ?? [:])")
        }
        #expect(try await cli.dispatchStates() == ["succeeded": 6])

        // every POST carried the client-request-id that the attempt's audit row names
        let sent = Set(try sim.actionRequests().compactMap { $0["client_request_id"] as? String })
        let audited = Set(try await cli.query("SELECT json_extract(detail, '$.client_request_id') FROM audit_log WHERE event = 'dispatch_sending'")
            .split(separator: "\n").map(String.init))
        #expect(sent.count == 6 && sent == audited, "sent \(sent), audited \(audited)")
        // over Graph a 204 carries no secret: the run says how to collect the three passcodes
        let runID = try await cli.runID()
        #expect(result.stderr.contains("confirm \(runID) --passcodes-out"), "\(result.stderr)")
    }

    @Test("a token that ends mid-run is renewed before it is sent, even after a long wait in the pace: the run finishes, each lock once")
    func tokenExpiry() async throws {
        let cli = try CLIHarness()
        let devices = (0..<10).map { GraphFleet.Device.iPhone("t-\($0)") }
        let (fleet, batch) = try await GraphFleet.prepare(cli, devices)
        // tokens live 1 s; every Graph request is paced to 4 a second, so that a worker waits
        // in the pace about as long as a token lives
        let sim = try await GraphSim.start(cli, fleet: fleet, ["--token-ttl", "1", "--action-delay-ms", "0"])
        let result = try await cli.mdm(["run", batch] + sim.flags + ["--rate", "off", "--read-rate", "4/1", "--concurrency", "4"],
                                       environment: sim.secretEnvironment())
        await sim.stop()
        #expect(result.status == 0, "\(result)")
        #expect(try await cli.dispatchStates() == ["succeeded": 10])
        let tokens = try sim.tokenRequests()
        #expect(tokens.count >= 2, "the token was renewed during the run: \(tokens.count) sign-ins")
        #expect(tokens.allSatisfy { $0["status"] as? Int == 200 })
        let statuses = try sim.actionStatuses()
        #expect(statuses[204] == 10, "\(statuses)")
        #expect(Set(statuses.keys).isSubset(of: [204, 401]), "\(statuses)")
        // a 401 acted on nothing: one effect per device
        let effects = try sim.effects()
        #expect(effects.count == 10 && effects.values.allSatisfy { $0 == ["remoteLock": 1] }, "\(effects)")
    }

    @Test("a 401 for a token the service no longer knows (it restarted) renews the token once and sends again: the run finishes")
    func tokenRevoked() async throws {
        let cli = try CLIHarness()
        let devices = (0..<8).map { GraphFleet.Device.iPhone("v-\($0)") }
        let (fleet, batch) = try await GraphFleet.prepare(cli, devices)
        let journal = cli.path("shared-journal.jsonl")
        let first = try await GraphSim.start(cli, fleet: fleet, ["--action-delay-ms", "0"], journal: journal, name: "first")
        // two sends a second: the run outlives the first simulator
        let process = try BackgroundRun.start(cli, ["run", batch] + first.flags + ["--rate", "2/1", "--concurrency", "1"],
                                                environment: first.secretEnvironment())
        // then a new simulator on the same port: it never issued the token mdmbatch holds
        #expect(await first.crash { first.accepted >= 2 })
        let second = try await GraphSim.start(cli, fleet: fleet, ["--action-delay-ms", "0"], port: first.port, journal: journal,
                                              name: "second")
        await waitForExit(process)
        await second.stop()
        #expect(process.terminationStatus == 0)
        #expect(try await cli.dispatchStates() == ["succeeded": 8])
        let statuses = try second.actionStatuses()
        let seen = try second.requests().map { "\($0["time"] ?? "") \($0["method"] ?? "") \($0["path"] ?? "") \($0["status"] ?? "")" }
        #expect(statuses[401] == 1, "one request met the unknown token, then every one had the new token: \(statuses) \(seen)")
        #expect(try second.tokenRequests().count == 2, "signed in again once")
        #expect(try second.effects().count == 8)
    }

    @Test("a permission the tenant lacks stops the run (77, interrupted, nothing done); once granted, the run resumes and finishes, nothing doubled")
    func deniedPermission() async throws {
        let cli = try CLIHarness()
        let devices = GraphFleet.mixed(8)
        let (fleet, batch) = try await GraphFleet.prepare(cli, devices)
        let journal = cli.path("shared-journal.jsonl")
        let denied = try await GraphSim.start(cli, fleet: fleet, ["--action-delay-ms", "0", "--deny-permission",
                                                                  "DeviceManagementManagedDevices.PrivilegedOperations.All"],
                                              journal: journal, name: "denied")
        let arguments = ["run", batch] + denied.flags + ["--rate", "off", "--concurrency", "4"]
        let refused = try await cli.mdm(arguments, environment: denied.secretEnvironment())
        await denied.stop()
        #expect(refused.status == 77, "\(refused)")
        #expect(refused.stderr.contains("DeviceManagementManagedDevices.PrivilegedOperations.All"), "\(refused.stderr)")
        #expect(try await cli.query("SELECT state FROM runs") == "interrupted")
        // nothing failed, nothing lost: every element waits, back in the queue unsent
        let waiting = try await cli.dispatchStates()
        #expect(waiting == ["queued": 8], "\(waiting)")
        #expect(try denied.effects().isEmpty)
        #expect(try denied.actionStatuses().keys.allSatisfy { $0 == 403 })

        // the permission granted: the same service (same port, same journal), the same command
        let granted = try await GraphSim.start(cli, fleet: fleet, ["--action-delay-ms", "0"], port: denied.port, journal: journal,
                                               name: "granted")
        // a resumed run keeps its transport: an explicit other one is refused (64), nothing sent
        let postsBefore = try granted.actionRequests().count
        for other in [["--transport", "mock"], ["--transport", "graph", "--graph-url", "http://127.0.0.1:9/v1.0"]] {
            let refusedOther = try await cli.mdm(["run", batch] + other, environment: granted.secretEnvironment())
            #expect(refusedOther.status == 64 && refusedOther.stderr.contains("graph"), "\(other): \(refusedOther)")
        }
        #expect(try granted.actionRequests().count == postsBefore)
        // the flags left out: the run's recorded transport and URLs
        let resumed = try await cli.mdm(["run", batch, "--rate", "off"], environment: granted.secretEnvironment())
        await granted.stop()
        #expect(resumed.status == 0, "\(resumed)")
        #expect(try await cli.query("SELECT count(*) || ' ' || state FROM runs") == "1 finished")
        #expect(try await cli.dispatchStates() == ["succeeded": 8])
        let effects = try granted.effects()
        #expect(effects.count == 8 && effects.values.allSatisfy { $0.values.reduce(0, +) == 1 }, "\(effects)")
        try RunInvariants.checkAuditChain(cli)
    }

    @Test("a 403 met by many calls at once stops the run gracefully: the calls in flight are answered and recorded, none abandoned")
    func refusedByManyAtOnce() async throws {
        let cli = try CLIHarness()
        let (fleet, batch) = try await GraphFleet.prepare(cli, GraphFleet.mixed(16, prefix: "m"))
        let sim = try await GraphSim.start(cli, fleet: fleet, ["--latency-ms", "100", "--deny-permission",
                                                               "DeviceManagementManagedDevices.PrivilegedOperations.All"])
        let refused = try await cli.mdm(["run", batch] + sim.flags + ["--rate", "off", "--concurrency", "16"],
                                        environment: sim.secretEnvironment())
        await sim.stop()
        #expect(refused.status == 77, "\(refused)")
        #expect(!refused.stderr.contains("abandoning"), "one refusal is one stop request, not a second 'stop now': \(refused.stderr)")
        let waiting = try await cli.dispatchStates()
        #expect(waiting == ["queued": 16], "every refused call was recorded unsent: \(waiting)")
    }

    /// A configuration or a sign-in that cannot work: the exit status, what the message
    /// must name, and whether the service saw a sign-in attempt.
    struct Refusal: CustomTestStringConvertible, Sendable {
        var name: String
        var status: Int32
        var mentions: [String]
        var signInAttempted: Bool
        var testDescription: String { name }
    }

    static let refusals = [
        Refusal(name: "a wrong client secret", status: 77, mentions: ["AADSTS7000215"], signInAttempted: true),
        Refusal(name: "another app's key", status: 77, mentions: ["AADSTS700027"], signInAttempted: true),
        Refusal(name: "no credentials", status: 78, mentions: ["MDMBATCH_TENANT_ID", "MDMBATCH_CLIENT_ID", "MDMBATCH_CLIENT_SECRET"],
                signInAttempted: false),
        Refusal(name: "a credentials file group may read (0640)", status: 78, mentions: ["credentials.json", "0640"], signInAttempted: false),
        Refusal(name: "http:// to a host that is not loopback", status: 78, mentions: ["http://graph.contoso.example/v1.0", "loopback"],
                signInAttempted: false),
    ]

    @Test("refused sign-ins exit 77 and refused configurations 78: nothing sent, the message names what is wrong and never the secret",
          arguments: refusals)
    func refused(_ refusal: Refusal) async throws {
        let cli = try CLIHarness()
        let (fleet, batch) = try await GraphFleet.prepare(cli, GraphFleet.mixed(4))
        let sim = try await GraphSim.start(cli, fleet: fleet)
        let wrongSecret = "not-the-Secret~0f9d2c"
        var flags = sim.flags
        var environment = sim.secretEnvironment()
        switch refusal.name {
        case "a wrong client secret":
            environment = sim.secretEnvironment(wrongSecret)
        case "another app's key":
            environment = try GraphSim.certificateEnvironment(cli, pem: "graph-other-app.pem")
        case "no credentials":
            environment = GraphSim.noCredentials
        case "a credentials file group may read (0640)":
            let file = try cli.write("credentials.json", """
                {"tenant_id": "\(GraphSim.tenant)", "client_id": "\(GraphSim.secretApp)", "client_secret": "\(sim.secret)"}
                """)
            try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: file)
            environment = GraphSim.noCredentials
            flags += ["--credentials", file]
        default:
            flags = ["--transport", "graph", "--graph-url", "http://graph.contoso.example/v1.0", "--authority-url", sim.url]
        }
        let result = try await cli.mdm(["run", batch] + flags + ["--rate", "off"], environment: environment)
        await sim.stop()
        #expect(result.status == refusal.status, "\(result)")
        for word in refusal.mentions { #expect(result.stderr.contains(word), "\(word) in \(result.stderr)") }
        for secret in [sim.secret, wrongSecret] {
            #expect(!result.stderr.contains(secret) && !result.stdout.contains(secret), "the secret leaked: \(result)")
        }
        #expect(try sim.actionRequests().isEmpty, "nothing was sent")
        #expect(try sim.tokenRequests().count == (refusal.signInAttempted ? 1 : 0))
        if refusal.status == 78 {
            #expect(try await cli.query("SELECT count(*) FROM runs") == "0", "a configuration error is found before anything is written")
        } else {
            #expect(try await cli.query("SELECT state FROM runs") == "interrupted", "the run waits until the sign-in works")
            #expect(try await cli.dispatchStates() == ["queued": 4])
        }
    }
}
