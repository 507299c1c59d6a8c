import Foundation
import Testing

/// Inventories the end-to-end tests start from, imported by the built binary.
enum Fleets {
    /// A harness whose database holds the sample users and devices (samples/users.csv,
    /// samples/devices.csv).
    static func loaded() throws -> CLIHarness {
        let cli = try CLIHarness()
        #expect(try cli.run(["import", "users", cli.sample("users.csv"), "--quiet"]).status == 0)
        #expect(try cli.run(["import", "devices", cli.sample("devices.csv"), "--quiet"]).status == 0)
        return cli
    }

    /// A fleet of `count` devices, every request accepted: locks on iPhones, resets on
    /// Android 6 (temporary passcodes) and iPhones, each with a request_id.
    static func bigFleet(_ cli: CLIHarness, count: Int) throws -> String {
        var devices = "device_id,platform,os_version,management,primary_user_upn,enrolled_by_upn,passcode_set\n"
        var batch = "request_id,action,target\n"
        for i in 0..<count {
            let android = i % 4 == 3
            devices += "k-\(i),\(android ? "Android" : "iOS"),\(android ? "6.0.1" : "17.2"),mdm,u\(i)@c.com,u\(i)@c.com,true\n"
            batch += "q-\(i),\(android || i % 4 == 1 ? "reset_passcode" : "lock"),k-\(i)\n"
        }
        try cli.write("fleet.csv", devices)
        #expect(try cli.run(["import", "devices", cli.path("fleet.csv"), "--quiet"]).status == 0)
        return try cli.write("big.csv", batch)
    }
}
