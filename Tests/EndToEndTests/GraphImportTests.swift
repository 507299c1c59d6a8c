import Foundation
import Testing

/// `import devices|users --from-graph` against `graph-sim`: every page read, all or nothing.
@Suite("Graph end to end: inventories read from the service", .serialized)
struct GraphImportTests {
    @Test("25,000 devices over 25 pages with a token that expires every 2 s: every device imported in one import, the token renewed; users read whole")
    func devicesAndUsers() async throws {
        let cli = try CLIHarness()
        let sim = try await GraphSim.start(cli, fleet: nil, ["--fleet-size", "25000", "--seed", "7", "--token-ttl", "2",
                                                             "--latency-ms", "40"])
        let devices = try await cli.mdm(["import", "devices", "--from-graph"] + sim.flags.dropFirst(2), environment: sim.secretEnvironment())
        #expect(devices.status == 0, "\(devices)")
        #expect(try await cli.query("SELECT count(*) FROM devices") == "25000")
        #expect(try await cli.query("SELECT count(*) FROM imports") == "1", "one import, all or nothing")
        let pages = try GraphImportChecks.devicePages(sim)
        #expect(pages == Array(repeating: 200, count: 25), "\(pages)")
        // asked at least once more after the first token ended (renewed before it ran out)
        let signIns = try sim.tokenRequests().count
        #expect(signIns >= 2, "\(signIns) token requests")
        #expect(!devices.stderr.contains("AADSTS"), "\(devices.stderr)")
        // Graph's deviceEnrollmentType is stored as the enrollment the rules read
        #expect(try await cli.query("SELECT count(DISTINCT enrollment) FROM devices WHERE enrollment IS NOT NULL") != "0")
        // without --graph-beta-fields the stored enrolled_by_upn is left as it is (empty here)
        #expect(try await cli.query("SELECT count(*) FROM devices WHERE enrolled_by_upn IS NOT NULL AND enrolled_by_upn != ''") == "0")

        let users = try await cli.mdm(["import", "users", "--from-graph"] + sim.flags.dropFirst(2), environment: sim.secretEnvironment())
        #expect(users.status == 0, "\(users)")
        #expect(try await cli.query("SELECT count(*) > 0 FROM users") == "1")
        #expect(try await cli.query("""
            SELECT count(*) FROM devices WHERE coalesce(primary_user_upn, '') != '' AND primary_user_upn NOT IN (SELECT upn FROM users)
            """) == "0", "every device's user is among the users read")

        let beta = try await cli.mdm(["import", "devices", "--from-graph", "--graph-beta-fields"] + sim.flags.dropFirst(2),
                                     environment: sim.secretEnvironment())
        await sim.stop()
        #expect(beta.status == 0, "\(beta)")
        #expect(try GraphImportChecks.devicePages(sim, api: "beta").count == 25)
        #expect(try await cli.query("SELECT count(*) > 0 FROM devices WHERE coalesce(enrolled_by_upn, '') != ''") == "1",
                "the beta endpoint's enrolledByUserPrincipalName is stored")
        #expect(try await cli.query("SELECT count(*) FROM devices") == "25000")
    }

    @Test("a malformed page refuses the whole import: exit 65 naming the page, the database unchanged")
    func malformedPage() async throws {
        let cli = try CLIHarness()
        let before = try await GraphImportChecks.seeded(cli)
        let sim = try await GraphSim.start(cli, fleet: nil, ["--fleet-size", "5000", "--malformed-page", "3"])
        let result = try await cli.mdm(["import", "devices", "--from-graph"] + sim.flags.dropFirst(2), environment: sim.secretEnvironment())
        await sim.stop()
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("managedDevices"), "the message names the page: \(result.stderr)")
        #expect(try GraphImportChecks.devicePages(sim).count == 3, "nothing read after the bad page")
        #expect(try await GraphImportChecks.contents(cli) == before)
        #expect(try await cli.query("SELECT count(*) FROM devices WHERE device_id = 'seed-1'") == "1")
    }

    @Test("throttled pages are asked again after Retry-After and the import completes; a page that keeps failing is 75, the database unchanged")
    func throttledAndFailing() async throws {
        let cli = try CLIHarness()
        let before = try await GraphImportChecks.seeded(cli)
        // three requests per 2 s for the app (the token request is not counted): the fourth and fifth pages meet 429
        let throttled = try await GraphSim.start(cli, fleet: nil, ["--fleet-size", "5000", "--request-limit", "3/2",
                                                                   "--retry-after-form", "whole"], name: "throttled")
        let read = try await cli.mdm(["import", "devices", "--from-graph", "--read-rate", "off"] + throttled.flags.dropFirst(2),
                                     environment: throttled.secretEnvironment())
        await throttled.stop()
        #expect(read.status == 0, "\(read)")
        let statuses = try GraphImportChecks.devicePages(throttled)
        #expect(statuses.contains(429) && statuses.filter { $0 == 200 }.count == 5, "\(statuses)")
        #expect(try await cli.query("SELECT count(*) FROM devices") == "5001")

        let imported = try await GraphImportChecks.contents(cli)
        let failing = try await GraphSim.start(cli, fleet: nil, ["--fleet-size", "5000", "--read-fault-rate", "1"], name: "failing")
        let refused = try await cli.mdm(["import", "devices", "--from-graph"] + failing.flags.dropFirst(2),
                                        environment: failing.secretEnvironment())
        await failing.stop()
        #expect(refused.status == 75, "\(refused)")
        let attempts = try GraphImportChecks.devicePages(failing)
        #expect(attempts == Array(repeating: 503, count: 5), "five attempts at the first page, then the import gives up: \(attempts)")
        #expect(try await GraphImportChecks.contents(cli) == imported)
        #expect(before != imported)
    }
}
