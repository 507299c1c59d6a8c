import Foundation
import Testing

@Suite("mdmbatch import (the built binary)")
struct ImportCommandTests {
    @Test("imports the samples and reports counts; re-import is unchanged")
    func importsSamples() throws {
        let cli = try CLIHarness()
        let users = try cli.run(["import", "users", cli.sample("users.csv")])
        #expect(users.status == 0, "\(users.stderr)")
        #expect(users.stdout.contains("9 inserted"))
        let devices = try cli.run(["import", "devices", cli.sample("devices.csv")])
        #expect(devices.status == 0 && devices.stdout.contains("44 inserted, 0 updated, 0 unchanged, 0 skipped"))
        for file in ["devices-intune.csv", "devices-graph.json", "devices.csv"] {
            let again = try cli.run(["import", "devices", cli.sample(file)])
            #expect(again.status == 0 && again.stdout.contains("0 inserted, 0 updated, 44 unchanged"), "\(file): \(again.stdout)")
        }
        #expect(try cli.sql("SELECT count(*) FROM devices") == "44")
        #expect(try cli.sql("SELECT count(*) FROM audit_log WHERE event = 'import'") == "5")
    }

    @Test("the first import into a new database runs with a rollback journal: killed -9 mid-load, the next command rolls it back and the database is as before; a finished one leaves WAL mode")
    func killedBulkLoad() throws {
        let cli = try CLIHarness()
        var text = "device_id,device_name,serial_number,platform,os_version,primary_user_upn\n"
        for index in 0..<300_000 { text += "d-\(index),Device \(index),SN\(index),iOS,17.2,user\(index % 9000)@contoso.com\n" }
        let big = try cli.write("big.csv", text)
        let process = Process()
        process.executableURL = CLIHarness.binary
        process.arguments = ["import", "devices", big, "--db", cli.database, "--quiet"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // killed mid-load: the journal exists and rows have spilled into the file (past the page cache)
        let journal = cli.database + "-journal"
        func size(_ path: String) -> Int { ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0 }
        while process.isRunning && !(FileManager.default.fileExists(atPath: journal) && size(cli.database) > 16 << 20) {
            usleep(5_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExitPolling()
        try #require(process.terminationReason == .uncaughtSignal, "the import ended before it could be killed")
        #expect(FileManager.default.fileExists(atPath: journal), "no journal left to roll back")

        // a read-only command rolls the journal back, then finds the database empty and whole
        let verify = try cli.run(["audit", "verify"])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(!FileManager.default.fileExists(atPath: journal))
        #expect(try cli.sql("SELECT count(*), (SELECT count(*) FROM imports) FROM devices") == "0|0")
        #expect(try cli.sql("PRAGMA integrity_check") == "ok")
        // and the next import does the whole job, leaving the database in WAL mode
        let again = try cli.run(["import", "devices", big])
        #expect(again.status == 0 && again.stdout.contains("300000 inserted"), "\(again.stderr)")
        #expect(try cli.sql("PRAGMA journal_mode") == "wal")
        #expect(try cli.sql("SELECT count(*) FROM devices") == "300000")
    }

    @Test("--quiet prints nothing on success; - reads standard input")
    func quietAndStdin() throws {
        let cli = try CLIHarness()
        let result = try cli.run(["import", "devices", "-", "--quiet"], stdin: "device_id,platform\nd1,iOS\n")
        #expect(result.status == 0 && result.stdout.isEmpty && result.stderr.isEmpty)
        #expect(try cli.sql("SELECT file_name FROM imports") == "<stdin>")
    }

    @Test("a malformed file exits 65 naming file:line:column and writes nothing")
    func malformed() throws {
        let cli = try CLIHarness()
        _ = try cli.run(["import", "devices", cli.sample("devices.csv")])
        let before = try cli.sql("SELECT count(*), (SELECT count(*) FROM audit_log), (SELECT count(*) FROM imports) FROM devices")
        let bad = try cli.write("bad.csv", "device_id,platform,management\nn1,iOS,mdm\nn2,Android,PCagentX\n")
        let result = try cli.run(["import", "devices", bad])
        #expect(result.status == 65)
        #expect(result.stderr.contains("bad.csv:3:3: expected one of mdm, eas, eas_mdm, software_client, other, got \"PCagentX\""), "\(result.stderr)")
        #expect(try cli.sql("SELECT count(*), (SELECT count(*) FROM audit_log), (SELECT count(*) FROM imports) FROM devices") == before)
    }

    @Test("--skip-invalid imports the good rows and lists the skipped ones on stderr")
    func skipInvalid() throws {
        let cli = try CLIHarness()
        let bad = try cli.write("bad.csv", "device_id,platform,management\nn1,iOS,mdm\nn2,Android,PCagentX\nn3,iOS\n")
        let result = try cli.run(["import", "devices", bad, "--skip-invalid"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("1 inserted") && result.stdout.contains("2 skipped"))
        #expect(result.stderr.contains("bad.csv:3:3") && result.stderr.contains("bad.csv:4:3"), "\(result.stderr)")
    }

    @Test("exit codes: missing file 66, bad flag 64, wrong format for users 64")
    func exitCodes() throws {
        let cli = try CLIHarness()
        #expect(try cli.run(["import", "devices", cli.path("nope.csv")]).status == 66)
        #expect(try cli.run(["import", "devices", cli.sample("devices.csv"), "--format", "xml"]).status == 64)
        #expect(try cli.run(["import", "users", cli.sample("users.csv"), "--format", "graph-json"]).status == 64)
        #expect(try cli.run(["import", "devices", cli.sample("devices.csv"), "--bogus"]).status == 64)
    }

    @Test("the database is created 0600 and honours $MDMBATCH_DB")
    func databaseFile() throws {
        let cli = try CLIHarness()
        let target = cli.path("env.sqlite")
        let result = try cli.run(["import", "users", cli.sample("users.csv")], db: false, environment: ["MDMBATCH_DB": target])
        #expect(result.status == 0)
        let mode = try FileManager.default.attributesOfItem(atPath: target)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("--help explains the command")
    func help() throws {
        let cli = try CLIHarness()
        let result = try cli.run(["import", "devices", "--help"], db: false)
        #expect(result.status == 0 && result.stdout.contains("--skip-invalid") && result.stdout.contains("intune-csv"))
    }
}
