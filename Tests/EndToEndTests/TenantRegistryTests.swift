import Foundation
import Testing

/// `mdmbatch tenant add|list|show|remove` and inventories kept per tenant (DESIGN.md,
/// "Several tenants in one database"), through the built binary.
@Suite("Tenants: the registry and inventories per tenant")
struct TenantRegistryTests {
    static let contoso = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    static let fabrikam = "0c2b0d2e-8d5d-4b43-9e5e-0d6b1f1b8c01"

    @Test("add creates the database; list, show and list --json name every field; the changes are rows of the operator's chain, which verifies")
    func addListShow() throws {
        let cli = try CLIHarness()
        let added = try cli.run(["tenant", "add", "contoso", "--tenant-id", Self.contoso.uppercased(), "--rate", "100/20"])
        #expect(added.status == 0, "\(added)")
        #expect(added.stdout.contains("tenant contoso added: \(Self.contoso)"), "the id is kept in lower case: \(added.stdout)")
        #expect(FileManager.default.fileExists(atPath: cli.database))
        let second = try cli.run(["tenant", "add", "fabrikam", "--tenant-id", Self.fabrikam, "--read-rate", "500/10",
                                  "--graph-url", "http://127.0.0.1:1/v1.0", "--authority-url", "http://127.0.0.1:1"])
        #expect(second.status == 0, "\(second)")

        let list = try cli.run(["tenant", "list"])
        #expect(list.status == 0)
        let lines = list.stdout.split(separator: "\n")
        #expect(lines.count == 3 && lines[0].hasPrefix("NAME") && lines[1].hasPrefix("contoso") && lines[2].hasPrefix("fabrikam"),
                "\(list.stdout)")
        let json = try cli.run(["tenant", "list", "--json"])
        let tenants = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(tenants.map { $0["name"] as? String } == ["contoso", "fabrikam"])
        #expect(tenants[0]["rate"] as? String == "100/20" && tenants[0]["read_rate"] is NSNull && tenants[0]["credentials"] is NSNull)
        #expect(tenants[1]["graph_url"] as? String == "http://127.0.0.1:1/v1.0" && tenants[1]["read_rate"] as? String == "500/10")
        #expect(Set(tenants[0].keys) == ["name", "tenant_id", "credentials", "graph_url", "authority_url", "rate", "read_rate",
                                         "added_at", "added_by", "removed_at", "removed_by"])

        let show = try cli.run(["tenant", "show", "contoso"])
        #expect(show.status == 0 && show.stdout.contains("tenant id:   \(Self.contoso)") && show.stdout.contains("0 devices, 0 users"),
                "\(show)")
        #expect(try cli.sql("SELECT event || ' ' || outcome || ' ' || json_extract(detail, '$.tenant') FROM audit_log WHERE event LIKE 'tenant%' ORDER BY seq")
                == "tenant_added registered contoso\ntenant_added registered fabrikam")
        let verify = try cli.run(["audit", "verify"])
        #expect(verify.status == 0, "\(verify)")
    }

    @Test("refused: a name that is not one or is default (64), a tenant id that is no GUID (64), a name or a tenant id registered already (65), half the endpoints (64); nothing written")
    func refusals() throws {
        let cli = try CLIHarness()
        #expect(try cli.run(["tenant", "add", "contoso", "--tenant-id", Self.contoso]).status == 0)
        let before = try cli.sql("SELECT (SELECT count(*) FROM tenants) || ' ' || (SELECT count(*) FROM audit_log)")
        for (arguments, status, message) in [
            (["tenant", "add", "Contoso", "--tenant-id", Self.fabrikam], 64, "not a tenant name"),
            (["tenant", "add", "x_y", "--tenant-id", Self.fabrikam], 64, "not a tenant name"),
            (["tenant", "add", String(repeating: "a", count: 41), "--tenant-id", Self.fabrikam], 64, "not a tenant name"),
            (["tenant", "add", "default", "--tenant-id", Self.fabrikam], 64, "operator's own tenant"),
            (["tenant", "add", "fabrikam", "--tenant-id", "fabrikam.onmicrosoft.com"], 64, "not a tenant id"),
            (["tenant", "add", "contoso", "--tenant-id", Self.fabrikam], 65, "registered already"),
            (["tenant", "add", "contoso2", "--tenant-id", Self.contoso], 65, "registered already, as contoso"),
            (["tenant", "add", "fabrikam", "--tenant-id", Self.fabrikam, "--graph-url", "https://graph.example/v1.0"], 64, "go together"),
            (["tenant", "add", "fabrikam", "--tenant-id", Self.fabrikam, "--rate", "off"], 64, "--rate"),
            (["tenant", "show", "nobody"], 66, "no tenant nobody"),
            (["tenant", "remove", "nobody"], 66, "no tenant nobody"),
        ] as [([String], Int32, String)] {
            let result = try cli.run(arguments)
            #expect(result.status == status && result.stderr.contains(message), "\(arguments): \(result)")
        }
        #expect(try cli.sql("SELECT (SELECT count(*) FROM tenants) || ' ' || (SELECT count(*) FROM audit_log)") == before)
    }

    @Test("a credentials file: only its path is kept, never its secret; one naming another tenant is refused (78), one others may read too (78)")
    func credentials() throws {
        let cli = try CLIHarness()
        let secret = "never-in-the-database-\(UUID().uuidString)"
        func credentials(_ name: String, tenant: String, mode: Int) throws -> String {
            let path = try cli.write(name, #"{"tenant_id": "\#(tenant)", "client_id": "11111111-1111-1111-1111-111111111111", "client_secret": "\#(secret)"}"#)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            return path
        }
        let other = try cli.run(["tenant", "add", "contoso", "--tenant-id", Self.contoso,
                                 "--credentials", try credentials("fabrikam.json", tenant: Self.fabrikam, mode: 0o600)])
        #expect(other.status == 78 && other.stderr.contains("holds credentials for tenant \(Self.fabrikam), not \(Self.contoso)"), "\(other)")
        let open = try cli.run(["tenant", "add", "contoso", "--tenant-id", Self.contoso,
                                "--credentials", try credentials("open.json", tenant: Self.contoso, mode: 0o644)])
        #expect(open.status == 78 && open.stderr.contains("group or others read"), "\(open)")
        let good = try credentials("contoso.json", tenant: Self.contoso, mode: 0o600)
        let added = try cli.run(["tenant", "add", "contoso", "--tenant-id", Self.contoso, "--credentials", good])
        #expect(added.status == 0, "\(added)")
        #expect(try cli.sql("SELECT credentials_path FROM tenants") == good)
        let dump = try CLIHarness.execute(URL(fileURLWithPath: "/usr/bin/env"), ["sqlite3", cli.database, ".dump"], in: cli.directory)
        #expect(dump.status == 0 && !dump.stdout.contains(secret) && dump.stdout.contains("contoso.json"))
    }

    @Test("a signed database: tenant add and remove need the signing key (78), and with it the operator's chain stays signed and verifies")
    func signed() throws {
        let cli = try CLIHarness()
        let key = cli.path("audit.key")
        #expect(try cli.run(["audit", "keygen", "--out", key], db: false).status == 0)
        #expect(try cli.run(["import", "users", cli.sample("users.csv"), "--signing-key", key]).status == 0)
        let unsigned = try cli.run(["tenant", "add", "contoso", "--tenant-id", Self.contoso])
        #expect(unsigned.status == 78, "\(unsigned)")
        #expect(try cli.sql("SELECT count(*) FROM tenants") == "0")
        #expect(try cli.run(["tenant", "add", "contoso", "--tenant-id", Self.contoso, "--signing-key", key]).status == 0)
        #expect(try cli.run(["tenant", "remove", "contoso"]).status == 78)
        #expect(try cli.run(["tenant", "remove", "contoso", "--signing-key", key]).status == 0)
        let verify = try cli.run(["audit", "verify", "--public-key", key + ".pub"])
        #expect(verify.status == 0, "\(verify)")
    }

    @Test("inventories per tenant: the same device id and the same UPN in two tenants are two rows; re-imports count per tenant; an unknown tenant is 66 and creates no database")
    func inventories() throws {
        let cli = try CLIHarness()
        let missing = try cli.run(["import", "devices", cli.sample("devices.csv"), "--tenant", "contoso"])
        #expect(missing.status == 66 && !FileManager.default.fileExists(atPath: cli.database), "\(missing)")
        #expect(try cli.run(["import", "devices", cli.sample("devices.csv")]).status == 0)
        #expect(try cli.run(["import", "users", cli.sample("users.csv")]).status == 0)
        let unknown = try cli.run(["import", "devices", cli.sample("devices.csv"), "--tenant", "contoso"])
        #expect(unknown.status == 66 && unknown.stderr.contains("no tenant contoso"), "\(unknown)")
        #expect(try cli.run(["import", "devices", cli.sample("devices.csv"), "--tenant", "Contoso"]).status == 64)
        #expect(try cli.run(["tenant", "add", "contoso", "--tenant-id", Self.contoso]).status == 0)

        let devices = try cli.run(["import", "devices", cli.sample("devices.csv"), "--tenant", "contoso"])
        #expect(devices.status == 0 && devices.stdout.hasPrefix("tenant contoso: ") && devices.stdout.contains("44 inserted, 0 updated"),
                "\(devices)")
        let users = try cli.run(["import", "users", cli.sample("users.csv"), "--tenant", "contoso"])
        #expect(users.status == 0 && users.stdout.contains("9 inserted"), "\(users)")
        #expect(try cli.sql("SELECT tenant, count(*) FROM devices GROUP BY tenant") == "0|44\n1|44")
        #expect(try cli.sql("SELECT tenant, count(*) FROM users GROUP BY tenant") == "0|9\n1|9")
        let again = try cli.run(["import", "devices", cli.sample("devices-intune.csv"), "--tenant", "contoso"])
        #expect(again.status == 0 && again.stdout.contains("0 inserted, 0 updated, 44 unchanged"), "\(again)")
        let operatorAgain = try cli.run(["import", "devices", cli.sample("devices.csv"), "--tenant", "default"])
        #expect(operatorAgain.status == 0 && !operatorAgain.stdout.contains("tenant") && operatorAgain.stdout.contains("44 unchanged"))
        // a duplicate key is found inside the tenant: the line named is the tenant's own
        let twice = try cli.write("twice.csv", "device_id,platform\nx-1,iOS\nx-1,iOS\n")
        let duplicate = try cli.run(["import", "devices", twice, "--tenant", "contoso"])
        #expect(duplicate.status == 65 && duplicate.stderr.contains("(first at line 2)"), "\(duplicate)")
        #expect(try cli.sql("SELECT group_concat(coalesce(json_extract(detail, '$.tenant'), '-'), ' ') FROM audit_log WHERE event = 'import'")
                == "- - contoso contoso contoso -")
        #expect(try cli.sql("SELECT group_concat(tenant) FROM imports") == "0,0,1,1,1,0")
        #expect(try cli.run(["tenant", "show", "contoso"]).stdout.contains("44 devices, 9 users"))
    }

    @Test("remove: refused (65) while an unfinished run holds the tenant's elements; then its inventory is deleted, its audit rows kept, its name never given again")
    func remove() throws {
        let cli = try CLIHarness()
        #expect(try cli.run(["tenant", "add", "contoso", "--tenant-id", Self.contoso]).status == 0)
        #expect(try cli.run(["import", "devices", cli.sample("devices.csv"), "--tenant", "contoso"]).status == 0)
        #expect(try cli.run(["import", "devices", cli.sample("devices.csv")]).status == 0)
        // an unfinished run holding one of contoso's elements, as an interrupted run leaves it
        _ = try cli.sql("""
            INSERT INTO runs (id, batch_name, batch_sha256, state, actor, started_at, options, requests, targets, rule_set)
            VALUES ('run-held', 'b.csv', 'x', 'interrupted', 'me', '2026-12-07T00:00:00Z', '{}', 1, 1, 'intune-2017');
            INSERT INTO dispatches (run_id, seq, line, action, target, device_id, platform, state, idempotency_key, queued_at, tenant)
            VALUES ('run-held', 1, 2, 'lock', 'x', 'x', 'ios', 'queued', 'k', '2026-12-07T00:00:00Z', 1)
            """)
        let held = try cli.run(["tenant", "remove", "contoso"])
        #expect(held.status == 65 && held.stderr.contains("run-held"), "\(held)")
        #expect(try cli.sql("SELECT count(*) FROM devices WHERE tenant = 1") == "44")
        // (the made-up run has no audit rows: it goes, as a run that finished would stop holding the tenant)
        _ = try cli.sql("DELETE FROM dispatches WHERE run_id = 'run-held'; DELETE FROM runs WHERE id = 'run-held'")

        let removed = try cli.run(["tenant", "remove", "contoso"])
        #expect(removed.status == 0 && removed.stdout.contains("44 devices and 0 users deleted"), "\(removed)")
        #expect(try cli.sql("SELECT tenant, count(*) FROM devices GROUP BY tenant") == "0|44")
        #expect(try cli.run(["tenant", "list"]).stdout.contains("no tenant registered"))
        #expect(try cli.run(["tenant", "list", "--all"]).stdout.contains("contoso"))
        let reused = try cli.run(["tenant", "add", "contoso", "--tenant-id", Self.contoso])
        #expect(reused.status == 65 && reused.stderr.contains("never given again"), "\(reused)")
        // the customer tenant itself may come back under a new name
        #expect(try cli.run(["tenant", "add", "contoso-2", "--tenant-id", Self.contoso]).status == 0)
        #expect(try cli.run(["import", "devices", cli.sample("devices.csv"), "--tenant", "contoso"]).status == 66)
        #expect(try cli.run(["tenant", "remove", "contoso"]).status == 66)
        #expect(try cli.run(["audit", "verify"]).status == 0)
    }

    @Test("a batch reaches the operator's own inventory only: a customer tenant's devices and users are never a target of it")
    func batchesStayInDefault() throws {
        let cli = try CLIHarness()
        #expect(try cli.run(["tenant", "add", "contoso", "--tenant-id", Self.contoso]).status == 0)
        #expect(try cli.run(["import", "devices", cli.sample("devices.csv"), "--tenant", "contoso"]).status == 0)
        #expect(try cli.run(["import", "users", cli.sample("users.csv"), "--tenant", "contoso"]).status == 0)
        let plan = try cli.run(["plan", cli.sample("batch-lost.csv"), "--json", "--all"])
        let requests = try #require((try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])?["requests"] as? [[String: Any]])
        #expect(!requests.isEmpty)
        let reasons = Set(requests.compactMap { $0["reason"] as? String })
        #expect(requests.allSatisfy { $0["verdict"] as? String == "rejected" }, "\(reasons)")
        #expect(reasons.isSubset(of: ["unknown_target", "invalid_request"]), "\(reasons)")
        // with the same inventory in default too, the plan is the plan of a database of one tenant
        #expect(try cli.run(["import", "devices", cli.sample("devices.csv")]).status == 0)
        #expect(try cli.run(["import", "users", cli.sample("users.csv")]).status == 0)
        let alone = try CLIHarness()
        #expect(try alone.run(["import", "devices", cli.sample("devices.csv")]).status == 0)
        #expect(try alone.run(["import", "users", cli.sample("users.csv")]).status == 0)
        func verdicts(_ cli: CLIHarness) throws -> [String] {
            let plan = try cli.run(["plan", cli.sample("batch-lost.csv"), "--json", "--all"])
            let requests = (try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])?["requests"] as? [[String: Any]]
            return (requests ?? []).map { "\($0["line"] ?? "") \($0["device_id"] ?? "-") \($0["verdict"] ?? "") \($0["reason"] ?? "-")" }
        }
        let shared = try verdicts(cli)
        #expect(shared.contains { $0.contains(" accepted ") })
        #expect(shared == (try verdicts(alone)))
    }

    @Test("a database without tenants writes today's rows: every device and user of default (0), the import rows without a tenant key")
    func withoutTenants() throws {
        let cli = try CLIHarness()
        #expect(try cli.run(["import", "devices", cli.sample("devices.csv")]).status == 0)
        #expect(try cli.sql("SELECT count(*) FROM devices WHERE tenant <> 0") == "0")
        #expect(try cli.sql("SELECT json_extract(detail, '$.tenant') IS NULL FROM audit_log WHERE event = 'import'") == "1")
        #expect(try cli.run(["tenant", "list"]).stdout.contains("no tenant registered"))
    }
}
