import Foundation
import Testing

/// `import --from-graph --tenant NAME` and `--all-tenants` against `graph-sim`: each
/// tenant signs in to its registered tenant id, with its own endpoints.
@Suite("Tenants: inventories read from Graph per tenant", .serialized)
struct TenantGraphImportTests {
    static let absent = "0c2b0d2e-8d5d-4b43-9e5e-0d6b1f1b8c01"

    @Test("--tenant reads with the registered tenant id and endpoints (the environment names another tenant); --all-tenants imports each tenant on its own, names the one refused (77) and keeps the other")
    func perTenant() async throws {
        let cli = try CLIHarness()
        let sim = try await GraphSim.start(cli, fleet: nil, ["--fleet-size", "300", "--seed", "3"])
        var environment = sim.secretEnvironment()
        environment["MDMBATCH_TENANT_ID"] = "11111111-2222-3333-4444-555555555555"  // the registration wins
        let endpoints = ["--graph-url", sim.graphURL, "--authority-url", sim.url]
        #expect(try await cli.mdm(["tenant", "add", "alpha", "--tenant-id", GraphSim.tenant] + endpoints).status == 0)

        let alpha = try await cli.mdm(["import", "devices", "--from-graph", "--tenant", "alpha"], environment: environment)
        #expect(alpha.status == 0 && alpha.stdout.hasPrefix("tenant alpha: ") && alpha.stdout.contains("300 inserted"), "\(alpha)")
        #expect(try await cli.query("SELECT tenant, count(*) FROM devices GROUP BY tenant") == "1|300")
        let tokens = try sim.tokenRequests().compactMap { $0["path"] as? String }
        #expect(!tokens.isEmpty && tokens.allSatisfy { $0.contains(GraphSim.tenant) }, "\(tokens)")

        // a second tenant the simulator does not know: its sign-in is refused, alpha's import goes on
        #expect(try await cli.mdm(["tenant", "add", "beta", "--tenant-id", Self.absent] + endpoints).status == 0)
        let all = try await cli.mdm(["import", "devices", "--from-graph", "--all-tenants"], environment: environment)
        #expect(all.status == 77, "\(all)")
        #expect(all.stdout.contains("tenant alpha: ") && all.stdout.contains("300 unchanged"), "\(all)")
        #expect(all.stderr.contains("tenant beta: ") && all.stderr.contains("nothing imported for it"), "\(all)")
        #expect(try await cli.query("SELECT group_concat(tenant) FROM imports") == "1,1")

        await sim.stop()

        let both = try await cli.mdm(["import", "devices", "--from-graph", "--all-tenants", "--tenant", "alpha"], environment: environment)
        #expect(both.status == 64, "\(both)")
        let file = try await cli.mdm(["import", "devices", cli.sample("devices.csv"), "--all-tenants"])
        #expect(file.status == 64, "\(file)")
    }
}
