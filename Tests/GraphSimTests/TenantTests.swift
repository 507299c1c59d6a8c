import Foundation
import GraphSimulator
import MDMBatchShared
import Testing

/// Several tenants in one simulator (DESIGN.md, "Several tenants in one database"): routes
/// in this process on a moved clock; the flags through the binary.
@Suite("Several tenants: tokens bound to their tenant, per-tenant fleets, windows, permissions and sign-ins")
struct TenantTests {
    static let tenantA = "aaaaaaaa-0000-4000-8000-00000000000a"
    static let tenantB = "bbbbbbbb-0000-4000-8000-00000000000b"
    static let tenantC = "cccccccc-0000-4000-8000-00000000000c"
    static let tenantD = "dddddddd-0000-4000-8000-00000000000d"

    /// Tenant B: `ios-1` as in `TestFleet` (another device of the same id), and one of its own.
    static let fleetB = """
        device_id,device_name,serial_number,imei,platform,os_version,management,primary_user_upn,enrolled_by_upn,passcode_set,last_check_in,enrollment
        ios-1,Fabrikam iPhone,FABK00000001,,iOS,17.2,mdm,kim@fabrikam.com,kim@fabrikam.com,true,2026-11-24T08:15:00Z,
        b-fm,Fabrikam phone,FABK00000002,352099001769990,Android,14,mdm,kim@fabrikam.com,kim@fabrikam.com,true,2026-11-24T08:15:00Z,fully_managed
        """ + "\n"
    /// A UPN of tenant A too.
    static let usersB = """
        upn,display_name,email,department
        jdoe@contoso.com,Jane Doe (guest),jane.doe@contoso.com,Sales
        kim@fabrikam.com,Kim Lee,kim@fabrikam.com,Operations
        """ + "\n"

    static let threeTenants = [
        TestTenant(id: tenantA, fleet: TestFleet.csv, users: TestFleet.users),
        TestTenant(id: tenantB, fleet: fleetB, users: usersB),
        TestTenant(id: tenantC, size: 5),
    ]

    static func lock(_ id: String) -> String { "/v1.0/deviceManagement/managedDevices/\(id)/remoteLock" }
    static func reset(_ id: String) -> String { "/v1.0/deviceManagement/managedDevices/\(id)/resetPasscode" }

    static func requests(_ sim: any SimClient, path: String) throws -> [[String: Any]] {
        try sim.journalEntries().filter { $0["type"] as? String == "request" && $0["path"] as? String == path }
    }

    @Test("a token opens its own tenant only: another tenant's device is not found (404), and the journal line names both tenants")
    func tokenBoundToTenant() async throws {
        try await withTenants(Self.threeTenants, { $0.actionDelayMS = 0 }) { sim in
            let (a, b) = (try await sim.token(of: Self.tenantA), try await sim.token(of: Self.tenantB))
            let crossed = try await sim.post(Self.lock("b-fm"), token: a)
            #expect(crossed.status == 404)
            #expect(crossed.errorCode == "ResourceNotFound")
            #expect(try await sim.get("/v1.0/deviceManagement/managedDevices/b-fm", token: a).status == 404)
            #expect(try await sim.post(Self.lock("b-fm"), token: b).status == 204)
            #expect(try await sim.post(Self.lock("nowhere-1"), token: a).status == 404)

            let locks = try Self.requests(sim, path: Self.lock("b-fm"))
            #expect(locks.map { $0["tenant"] as? String } == [Self.tenantA, Self.tenantB])
            #expect(locks.map { $0["status"] as? Int } == [404, 204])
            #expect(locks[0]["cross_tenant"] as? [String] == [Self.tenantB])
            #expect(locks[1]["cross_tenant"] == nil)
            let read = try #require(try Self.requests(sim, path: "/v1.0/deviceManagement/managedDevices/b-fm").first)
            #expect(read["cross_tenant"] as? [String] == [Self.tenantB])
            // an id no tenant holds is only not found
            #expect(try Self.requests(sim, path: Self.lock("nowhere-1")).first?["cross_tenant"] == nil)
            // the effect happened in B alone, and says so
            let effects = try sim.effects()
            #expect(effects.count == 1)
            #expect(effects.first?["tenant"] as? String == Self.tenantB)
            // token requests name the tenant of their URL
            let tokens = try Self.requests(sim, path: "/\(Self.tenantA)/oauth2/v2.0/token")
            #expect(tokens.first?["tenant"] as? String == Self.tenantA)
        }
    }

    @Test("the same device id in two tenants is two devices, each with its own actions")
    func sameIDTwoTenants() async throws {
        try await withTenants(Self.threeTenants, { $0.actionDelayMS = 0 }) { sim in
            let (a, b, c) = (try await sim.token(of: Self.tenantA), try await sim.token(of: Self.tenantB),
                             try await sim.token(of: Self.tenantC))
            for _ in 0..<2 { #expect(try await sim.post(Self.lock("ios-1"), token: a).status == 204) }
            #expect(try await sim.post(Self.lock("ios-1"), token: b).status == 204)
            sim.clock.advance(by: 1)
            #expect(try await sim.post(Self.reset("ios-1"), token: b).status == 204)
            let effects = try sim.effects().map { "\($0["tenant"] as? String ?? "-") \($0["action"] as? String ?? "-") \($0["count"] as? Int ?? 0)" }
            #expect(effects == ["\(Self.tenantA) remoteLock 1", "\(Self.tenantA) remoteLock 2",
                                "\(Self.tenantB) remoteLock 1", "\(Self.tenantB) resetPasscode 1"])
            #expect(try await sim.actionResults("ios-1", token: a).map { $0["actionName"] as? String } == ["remoteLock"])
            #expect(try await sim.actionResults("ios-1", token: b).map { $0["actionName"] as? String }
                == ["remoteLock", "resetPasscode"])
            let device = try await sim.get("/v1.0/deviceManagement/managedDevices/ios-1", token: b)
            #expect(device.json["deviceName"] as? String == "Fabrikam iPhone")
            // each tenant asked for its own device: nothing crossed
            #expect(try sim.journalEntries().allSatisfy { $0["cross_tenant"] == nil })
            // in C, which holds no ios-1, it crosses into both others
            #expect(try await sim.post(Self.lock("ios-1"), token: c).status == 404)
            #expect(try Self.requests(sim, path: Self.lock("ios-1")).last?["cross_tenant"] as? [String]
                == [Self.tenantA, Self.tenantB])
        }
    }

    @Test("listings are per tenant: devices and users of the token's tenant only; two synthetic tenants hold different devices")
    func listings() async throws {
        let tenants = Self.threeTenants + [TestTenant(id: Self.tenantD, size: 5)]
        try await withTenants(tenants) { sim in
            func ids(_ path: String, _ tenant: String, key: String = "id") async throws -> [String] {
                let answer = try await sim.get(path, token: try await sim.token(of: tenant))
                #expect(answer.status == 200, "\(answer.body)")
                return (answer.json["value"] as? [[String: Any]] ?? []).compactMap { $0[key] as? String }
            }
            let devices = "/v1.0/deviceManagement/managedDevices"
            #expect(try await ids(devices, Self.tenantA).count == 17)
            #expect(Set(try await ids(devices, Self.tenantB)) == ["ios-1", "b-fm"])
            let (c, d) = (try await ids(devices, Self.tenantC), try await ids(devices, Self.tenantD))
            #expect(c.count == 5 && d.count == 5)
            #expect(Set(c).isDisjoint(with: d))
            #expect(try await ids("/v1.0/users", Self.tenantA, key: "userPrincipalName").count == 5)
            #expect(Set(try await ids("/v1.0/users", Self.tenantB, key: "userPrincipalName"))
                == ["jdoe@contoso.com", "kim@fabrikam.com"])
        }
    }

    @Test("writes are throttled per app in each tenant and per tenant: one tenant's 429 leaves the others alone, Retry-After as today")
    func perTenantWindows() async throws {
        try await withTenants(Self.threeTenants, {
            $0.throttle?.appWrites = RateLimit(count: 2, seconds: 20)
            $0.throttle?.tenantWrites = RateLimit(count: 3, seconds: 20)
            $0.retryAfterForm = .whole
            $0.actionDelayMS = 0
        }) { sim in
            let (a, b) = (try await sim.token(of: Self.tenantA), try await sim.token(of: Self.tenantB))
            for _ in 0..<2 { #expect(try await sim.post(Self.lock("ios-1"), token: a).status == 204) }
            let own = try await sim.post(Self.lock("ios-1"), token: a)
            #expect(own.status == 429, "the app's 2 in tenant A")
            #expect(own.errorCode == "TooManyRequests")
            #expect(own.errorMessage?.contains("Identifier:\(Self.tenantA)+\(SimProcess.secretApp)") == true)
            #expect(own.headers.first(name: "Retry-After").flatMap(Int.init).map { (1...20).contains($0) } == true)
            // the same app in tenant B has windows of its own there
            for _ in 0..<2 { #expect(try await sim.post(Self.lock("ios-1"), token: b).status == 204) }
            // another app in tenant A: its own window has room, the tenant's has one left
            let assertion = try AssertionBuilder.fixture("graph-test-app.pem")
                .assertion(clientID: SimProcess.certificateApp, audience: sim.tokenURL(of: Self.tenantA))
            let answer = try await sim.postForm(sim.tokenURL(of: Self.tenantA), sim.tokenForm([
                ("client_id", SimProcess.certificateApp),
                ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                ("client_assertion", assertion),
            ]))
            let other = try #require(answer.json["access_token"] as? String, "\(answer.body)")
            #expect(try await sim.post(Self.lock("mac-1"), token: other).status == 204)
            let shared = try await sim.post(Self.lock("mac-2"), token: other)
            #expect(shared.status == 429, "3 for tenant A")
            #expect(shared.headers.first(name: "Retry-After") != nil)
            #expect(try Self.requests(sim, path: Self.lock("mac-2")).first?["tenant"] as? String == Self.tenantA)
            sim.clock.advance(by: 20.1)
            #expect(try await sim.post(Self.lock("ios-1"), token: a).status == 204)
        }
    }

    @Test("the app-wide limit counts an app's requests in every tenant together: 429 with Retry-After beyond it")
    func appWideWindow() async throws {
        try await withTenants(Self.threeTenants, {
            $0.throttle?.appWideRequests = RateLimit(count: 4, seconds: 10)
            $0.retryAfterForm = .whole
        }) { sim in
            let tokens = [try await sim.token(of: Self.tenantA), try await sim.token(of: Self.tenantB),
                          try await sim.token(of: Self.tenantC)]
            for token in tokens.prefix(2) {
                for _ in 0..<2 { #expect(try await sim.get("/v1.0/users", token: token).status == 200) }
            }
            let refused = try await sim.get("/v1.0/users", token: tokens[2])
            #expect(refused.status == 429, "4 of the app over A and B, none yet in C")
            #expect(refused.errorCode == "TooManyRequests")
            #expect(refused.headers.first(name: "Retry-After").flatMap(Int.init).map { (1...10).contains($0) } == true)
            #expect(try await sim.post(Self.lock("ios-1"), token: tokens[0]).status == 429, "writes count too")
            sim.clock.advance(by: 10.1)
            #expect(try await sim.get("/v1.0/users", token: tokens[2]).status == 200)
        }
    }

    @Test("--deny-permission TENANT:NAME answers 403 in that tenant only; without a tenant, in every one")
    func denyPermissionPerTenant() async throws {
        try await withTenants(Self.threeTenants, {
            $0.tenantDeniedPermissions[Self.tenantB.lowercased()] = [.privilegedOperations]
            $0.deniedPermissions = [.readUsers]
            $0.actionDelayMS = 0
        }) { sim in
            let (a, b) = (try await sim.token(of: Self.tenantA), try await sim.token(of: Self.tenantB))
            let denied = try await sim.post(Self.lock("ios-1"), token: b)
            #expect(denied.status == 403)
            #expect(denied.errorMessage?.contains(GraphPermission.privilegedOperations.rawValue) == true)
            #expect(try await sim.post(Self.lock("ios-1"), token: a).status == 204)
            #expect(try await sim.get("/v1.0/deviceManagement/managedDevices/ios-1", token: b).status == 200)
            #expect(try await sim.get("/v1.0/users", token: a).status == 403)
            #expect(try await sim.get("/v1.0/users", token: b).status == 403)
            #expect(try sim.effects().map { $0["tenant"] as? String } == [Self.tenantA])
        }
    }

    @Test("--refuse-sign-in: the tenant's sign-ins are refused as Entra refuses during the window, accepted after it")
    func refuseSignIn() async throws {
        try await withTenants(Self.threeTenants, {
            $0.signInRefusals = [SignInRefusal(tenant: Self.tenantB, from: 10, to: 20)]
        }) { sim in
            let early = try await sim.token(of: Self.tenantB)
            sim.clock.advance(by: 10)
            let refused = try await sim.requestToken(of: Self.tenantB)
            #expect(refused.status == 400)
            #expect(refused.json["error"] as? String == "unauthorized_client")
            #expect(refused.json["error_codes"] as? [Int] == [700_016])
            #expect((refused.json["error_description"] as? String)?.hasPrefix("AADSTS700016: ") == true)
            #expect((refused.json["error_description"] as? String)?.contains(Self.tenantB) == true)
            _ = try await sim.token(of: Self.tenantA)  // the other tenants sign in
            // a token issued before keeps working until it expires
            #expect(try await sim.get("/v1.0/users", token: early).status == 200)
            sim.clock.advance(by: 9)
            #expect(try await sim.requestToken(of: Self.tenantB).status == 400)
            sim.clock.advance(by: 1)
            #expect(try await sim.requestToken(of: Self.tenantB).status == 200)
            let lines = try Self.requests(sim, path: "/\(Self.tenantB)/oauth2/v2.0/token")
            #expect(lines.map { $0["status"] as? Int } == [200, 400, 400, 200])
            #expect(lines.allSatisfy { $0["tenant"] as? String == Self.tenantB })
        }
    }

    @Test("an unknown tenant's sign-in is refused (AADSTS90002); tenant ids match whatever their case")
    func unknownTenant() async throws {
        try await withTenants(Self.threeTenants) { sim in
            let unknown = try await sim.requestToken(of: "eeeeeeee-0000-4000-8000-00000000000e")
            #expect(unknown.status == 400)
            #expect(unknown.json["error_codes"] as? [Int] == [90002])
            let upper = try await sim.token(of: Self.tenantB.uppercased())
            let answer = try await sim.get("/v1.0/deviceManagement/managedDevices", token: upper)
            #expect((answer.json["value"] as? [[String: Any]])?.count == 2)
            // the journal names the tenant as it was given
            #expect(try sim.journalEntries().last?["tenant"] as? String == Self.tenantB)
        }
    }

    @Test("one tenant given the old way: journal lines as before, without tenant")
    func singleTenantUnchanged() async throws {
        try await withRoutes({ $0.actionDelayMS = 0 }) { sim in
            let token = try await sim.token()
            #expect(try await sim.post(Self.lock("ios-1"), token: token).status == 204)
            #expect(try await sim.post(Self.lock("nowhere-1"), token: token).status == 404)
            #expect(try await sim.requestToken(of: Self.tenantB).json["error_codes"] as? [Int] == [90002])
            for entry in try sim.journalEntries() {
                let expected: Set<String> = entry["type"] as? String == "effect"
                    ? ["type", "time", "device_id", "action", "count", "client_request_id", "request_id"]
                    : ["type", "time", "method", "path", "app", "client_request_id", "request_id", "status"]
                #expect(Set(entry.keys) == expected, "\(entry)")
            }
        }
    }

    // MARK: Flags

    @Test("--tenant ID=FLEET reads as --fleet and --fleet-size do", arguments: [
        ("t1=a.csv", TenantSpec(id: "t1", fleet: .file(devices: "a.csv", users: nil))),
        ("t1=a.csv,users=u.csv", TenantSpec(id: "t1", fleet: .file(devices: "a.csv", users: "u.csv"))),
        ("contoso.onmicrosoft.com=dir/a b.csv", TenantSpec(id: "contoso.onmicrosoft.com", fleet: .file(devices: "dir/a b.csv", users: nil))),
        ("t1=size=400", TenantSpec(id: "t1", fleet: .synthetic(count: 400))),
        ("t1=,size=0", TenantSpec(id: "t1", fleet: .synthetic(count: 0))),
    ])
    func tenantFlag(_ text: String, _ expected: TenantSpec) throws {
        #expect(try TenantSpec(flag: text) == expected)
    }

    @Test("--tenant ID=FLEET refuses what it cannot read", arguments: [
        "t1", "t1=", "=a.csv", "t1=a.csv,size=3", "t1=size=3,users=u.csv", "t1=a.csv,foo=1", "t1=size=-1", "t1=size=x",
        "t:1=a.csv", "t@1=a.csv", "t1=a.csv,users=",
    ])
    func tenantFlagRefused(_ text: String) {
        #expect(throws: FlagValueError.self) { try TenantSpec(flag: text) }
    }

    @Test("--deny-permission [TENANT:]NAME and --refuse-sign-in TENANT@FROM-TO")
    func tenantFlags() throws {
        let all = try FlagValues.deniedPermission("User.Read.All")
        #expect(all.tenant == nil && all.permission == .readUsers)
        let one = try FlagValues.deniedPermission("t1:DeviceManagementManagedDevices.Read.All")
        #expect(one.tenant == "t1" && one.permission == .readDevices)
        #expect(throws: FlagValueError.self) { try FlagValues.deniedPermission("t1:Mail.Send") }
        #expect(throws: FlagValueError.self) { try FlagValues.deniedPermission(":User.Read.All") }
        #expect(try FlagValues.signInRefusal("t1@0-30") == SignInRefusal(tenant: "t1", from: 0, to: 30))
        #expect(try FlagValues.signInRefusal("t1@10s-1m") == SignInRefusal(tenant: "t1", from: 10, to: 60))
        #expect(try FlagValues.signInRefusal("t1@2.5-3") == SignInRefusal(tenant: "t1", from: 2.5, to: 3))
        for bad in ["t1@30-10", "t1@5", "t1", "@0-5", "t1@-5", "t1@a-b"] {
            #expect(throws: FlagValueError.self, "\(bad)") { try FlagValues.signInRefusal(bad) }
        }
    }

    @Test("the binary serves several tenants with per-tenant permissions and sign-ins, --realistic too")
    func binary() async throws {
        let fleetB = try temporaryFile("b.csv", Self.fleetB)
        let usersB = try temporaryFile("b-users.csv", Self.usersB)
        let device = "/v1.0/deviceManagement/managedDevices"
        try await withSim([
            "--tenant", "\(Self.tenantB)=\(fleetB),users=\(usersB)", "--tenant", "\(Self.tenantC)=size=3",
            "--deny-permission", "\(Self.tenantB):\(GraphPermission.privilegedOperations.rawValue)",
            "--refuse-sign-in", "\(Self.tenantC)@0-600", "--realistic", "--fault-rate", "0", "--action-delay-ms", "0",
        ]) { sim in
            let primary = try await sim.token()
            #expect(try await sim.post(Self.lock("ios-1"), token: primary).status == 204)
            #expect(try await sim.get("\(device)/b-fm", token: primary).status == 404)
            let b = try await sim.token(of: Self.tenantB)
            let listed = try await sim.get(device, token: b)
            #expect(Set((listed.json["value"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }) == ["ios-1", "b-fm"])
            #expect(try await sim.post(Self.lock("ios-1"), token: b).status == 403)
            let refused = try await sim.requestToken(of: Self.tenantC)
            #expect(refused.status == 400)
            #expect(refused.json["error_codes"] as? [Int] == [700_016])
            let entries = try sim.journalEntries()
            #expect(entries.filter { $0["type"] as? String == "effect" }.map { $0["tenant"] as? String } == [SimProcess.tenant])
            #expect(entries.filter { $0["cross_tenant"] != nil }.map { $0["path"] as? String } == ["\(device)/b-fm"])
            #expect(entries.allSatisfy { $0["tenant"] != nil }, "every line names its tenant once tenants are given")
        }
    }

    @Test("tenants only as ID=FLEET, without --fleet: the first is served like any other")
    func onlyAddedTenants() async throws {
        let sim = try await SimProcess.startBare(["--tenant", "\(Self.tenantA)=size=4", "--tenant", "\(Self.tenantB)=size=2"])
        do {
            for (tenant, count) in [(Self.tenantA, 4), (Self.tenantB, 2)] {
                let answer = try await sim.get("/v1.0/deviceManagement/managedDevices", token: try await sim.token(of: tenant))
                #expect((answer.json["value"] as? [[String: Any]])?.count == count)
            }
            #expect(try await sim.requestToken(of: SimProcess.tenant).json["error_codes"] as? [Int] == [90002],
                    "the default tenant is served only with --fleet or --fleet-size")
            await sim.stop()
        } catch {
            await sim.stop()
            throw error
        }
    }

    @Test("tenant flags that do not fit exit 64, naming the flag")
    func usageErrors() throws {
        let fleet = try temporaryFile("devices.csv", TestFleet.csv)
        let cases: [([String], String)] = [
            (["--tenant", "t1", "--tenant", "t2", "--fleet", fleet], "--tenant"),
            (["--tenant", "t1"], "--tenant"),
            (["--tenant", "t1=size=2", "--tenant", "T1=size=3"], "twice"),
            (["--fleet", fleet, "--tenant", "\(SimProcess.tenant.uppercased())=size=3"], "twice"),
            (["--tenant", "t1="], "--tenant"),
            (["--tenant", "t1=size=2", "--users", fleet], "--users"),
            (["--tenant", "t1=size=2", "--deny-permission", "t2:User.Read.All"], "--deny-permission"),
            (["--tenant", "t1=size=2", "--refuse-sign-in", "t2@0-5"], "--refuse-sign-in"),
            (["--tenant", "t1=size=2", "--refuse-sign-in", "t1@5-1"], "--refuse-sign-in"),
            (["--fleet-size", "2", "--app-request-limit", "5"], "--app-request-limit"),
        ]
        for (arguments, flag) in cases {
            let result = try SimProcess.runToEnd(arguments)
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(flag), "\(arguments): \(result.stderr)")
        }
        #expect(try SimProcess.runToEnd(["--tenant", "t1=/nonexistent/devices.csv"]).status == 66)
    }
}

extension TenantTests {
    @Test("--help explains the tenant flags, and the app-wide limit defaults to Graph's")
    func help() throws {
        let result = try SimProcess.runToEnd(["--help"])
        #expect(result.status == 0)
        for flag in ["--tenant", "--deny-permission", "--refuse-sign-in", "--app-request-limit", "--app-limit"] {
            #expect(result.stdout.contains(flag + " ") || result.stdout.contains(flag + "\n")
                || result.stdout.contains(flag + ","), "\(flag)")
        }
        let help = result.stdout.replacingOccurrences(of: "\n", with: " ").split(separator: " ").joined(separator: " ")
        for text in ["ID=FILE[,users=FILE]", "ID=size=N", "TENANT@FROM-TO", "[TENANT:]NAME", "(default: 130000/10)"] {
            #expect(help.contains(text), "\(text)")
        }
    }
}
