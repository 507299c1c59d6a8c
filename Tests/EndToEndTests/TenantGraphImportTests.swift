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

    @Test("three tenants served by one graph-sim: --all-tenants imports the one that may, names the one whose sign-in is refused and the one denied the read permission (77), and no request crosses tenants; the same UPNs in two tenants are two users")
    func threeTenants() async throws {
        let cli = try CLIHarness()
        let (a, b, c) = ("0a1b2c3d-0000-4000-8000-00000000000a", "0a1b2c3d-0000-4000-8000-00000000000b",
                         "0a1b2c3d-0000-4000-8000-00000000000c")
        let sim = try await GraphSim.start(cli, fleet: nil, [
            "--fleet-size", "20", "--seed", "5", "--tenant", "\(a)=size=200", "--tenant", "\(b)=size=150", "--tenant", "\(c)=size=100",
            "--refuse-sign-in", "\(b)@0-3600", "--deny-permission", "\(c):DeviceManagementManagedDevices.Read.All",
        ])
        let endpoints = ["--graph-url", sim.graphURL, "--authority-url", sim.url]
        for (name, id) in [("alpha", a), ("beta", b), ("gamma", c)] {
            #expect(try await cli.mdm(["tenant", "add", name, "--tenant-id", id] + endpoints).status == 0)
        }
        let devices = try await cli.mdm(["import", "devices", "--from-graph", "--all-tenants"], environment: sim.secretEnvironment())
        #expect(devices.status == 77, "\(devices)")
        #expect(devices.stdout.contains("tenant alpha: ") && devices.stdout.contains("200 inserted"), "\(devices)")
        #expect(devices.stderr.contains("tenant beta: ") && devices.stderr.contains("tenant gamma: "), "\(devices)")
        #expect(try await cli.query("SELECT tenant, count(*) FROM devices GROUP BY tenant") == "1|200")
        // users: gamma may read them (only devices are denied), beta still may not sign in
        let users = try await cli.mdm(["import", "users", "--from-graph", "--all-tenants"], environment: sim.secretEnvironment())
        #expect(users.status == 77 && users.stderr.contains("tenant beta: ") && !users.stderr.contains("tenant gamma: "), "\(users)")
        let upns = try await cli.query("""
            SELECT count(*) FROM users a JOIN users g ON g.upn = a.upn WHERE a.tenant = 1 AND g.tenant = 3
            """)
        #expect((Int(upns) ?? 0) > 0, "the synthetic tenants share UPNs: each is a user of its own tenant")
        await sim.stop()
        let crossed = try sim.entries().filter { $0["cross_tenant"] != nil }
        #expect(crossed.isEmpty, "\(crossed)")
        let tenantsAsked = Set(try sim.requests(endingWith: "/managedDevices").compactMap { $0["tenant"] as? String })
        #expect(tenantsAsked == [a, c], "\(tenantsAsked)")
    }
}
