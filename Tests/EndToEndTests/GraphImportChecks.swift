import Foundation
import Testing

/// What an import from Graph left: the database's contents, to prove an import changed
/// nothing, and the device pages the simulator answered.
enum GraphImportChecks {
    /// What the database holds that an import could change, to prove one changed nothing.
    static func contents(_ cli: CLIHarness) async throws -> String {
        try await cli.query("""
            SELECT (SELECT count(*) || ':' || coalesce(sum(length(device_id) + length(coalesce(primary_user_upn, ''))), 0) FROM devices)
                || ' ' || (SELECT count(*) FROM users) || ' ' || (SELECT count(*) FROM imports)
                || ' ' || (SELECT count(*) || ':' || max(seq) FROM audit_log)
            """)
    }

    /// GET requests the simulator answered for the device listing (v1.0 or beta), by status.
    static func devicePages(_ sim: GraphSim, api: String = "v1.0") throws -> [Int] {
        try sim.requests(endingWith: "/\(api)/deviceManagement/managedDevices").map { $0["status"] as? Int ?? -1 }
    }

    /// A small file import first, so that "unchanged" means something.
    static func seeded(_ cli: CLIHarness) async throws -> String {
        let file = try cli.write("seed.csv", GraphFleet.header + "seed-1,Seed,iOS,17.2,mdm,seed@contoso.example,,true,\n")
        let seeded = try await cli.mdm(["import", "devices", file])
        #expect(seeded.status == 0, "\(seeded)")
        return try await contents(cli)
    }
}
