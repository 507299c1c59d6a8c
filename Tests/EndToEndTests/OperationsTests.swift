import Foundation
import MDMBatchKit
import Testing

/// Cron-safety of the built binary: one run per database, crashes and kills at any point,
/// signals, I/O errors, the spool.
@Suite("Operations: lock, crash safety, signals, I/O errors, spool (the built binary)", .serialized)
struct OperationsTests {
    @Test("a second run exits 75 at once naming the holder; readers do not wait; SIGTERM interrupts (75) and the next run resumes")
    func lockReadersAndSignal() throws {
        let cli = try Fleets.loaded()
        // the holder's calls take 8 s (at most 12 s with the mock's spread): whoever waited for it would outlast them
        let first = try BackgroundRun.start(cli, ["run", cli.sample("batch-lost.csv"), "--rate", "off", "--mock-latency-ms", "8000",
                                         "--stop-grace", "0.3", "--passcodes-out", cli.path("p1.csv")])
        try BackgroundRun.waitForLockHolder(cli)
        // how long a command takes on this machine now, when it waits for nothing
        let reference = try Stopwatch.seconds { _ = try cli.run(["rules"], db: false) }
        let margin = 3 * reference + 1.5

        var second = CLIHarness.Result(status: 0, stdout: "", stderr: "")
        let refused = try Stopwatch.seconds { second = try cli.run(["run", cli.sample("batch-lost.csv"), "--passcodes-out", cli.path("p2.csv")]) }
        #expect(second.status == 75)
        #expect(refused < margin, "the refused run took \(refused) s, a plain command \(reference) s")
        #expect(second.stderr.contains("pid \(first.processIdentifier)") && second.stderr.contains("started"))
        #expect(!FileManager.default.fileExists(atPath: cli.path("p2.csv")), "the refused run must create nothing")

        for reader in [["status"], ["plan", cli.sample("batch-lost.csv")], ["rules"]] {
            var status: Int32 = -1
            let took = try Stopwatch.seconds { status = try cli.run(reader).status }
            #expect(status == 0, "\(reader)")
            #expect(took < margin, "\(reader) took \(took) s, a plain command \(reference) s: it waited on the run")
        }
        #expect(first.isRunning, "the readers answered while the run was still going")

        kill(first.processIdentifier, SIGTERM)
        first.waitUntilExitPolling()
        #expect(first.terminationStatus == 75)
        #expect(try cli.sql("SELECT state FROM runs") == "interrupted")

        let resumed = try cli.run(["run", cli.sample("batch-lost.csv"), "--rate", "off", "--passcodes-out", cli.path("p3.csv")])
        #expect(resumed.status == 1, "rejections give 1: \(resumed.stderr)")
        #expect(try cli.sql("SELECT count(*) FROM runs") == "1", "the same run was resumed")
        try RunInvariants.checkNothingLostNothingDoubled(cli)
    }

    @Test("killed at each crash point, the next run finishes the batch: nothing lost, nothing doubled, the chain intact",
          arguments: ["before-sending-commit", "after-call", "mid-commit", "after-call:7", "before-sending-commit:5", "mid-commit:3"])
    func crashPoints(point: String) throws {
        let cli = try CLIHarness()
        let batch = try Fleets.bigFleet(cli, count: 40)
        let crashed = try cli.run(["run", batch, "--rate", "off", "--concurrency", "8", "--passcodes-out", cli.path("p1.csv")],
                                  environment: ["MDMBATCH_CRASH_AT": point])
        #expect(crashed.status == 9 || crashed.stderr.contains("crash point"), "\(crashed.status) \(crashed.stderr)")
        #expect(crashed.stderr.contains("crash point \(point.split(separator: ":")[0]) reached"))
        let resumed = try cli.run(["run", batch, "--rate", "off", "--concurrency", "8", "--passcodes-out", cli.path("p2.csv")])
        #expect([0, 1].contains(resumed.status), "\(resumed.stderr)")
        #expect(try cli.sql("SELECT count(*) FROM runs") == "1")
        try RunInvariants.checkNothingLostNothingDoubled(cli)
        // a reset whose passcode was lost in the crash is failed, never silently done
        #expect(try cli.sql("SELECT count(*) FROM dispatches WHERE state = 'unknown_outcome'") == "0")
    }

    @Test("20 kill -9 at random moments of a latency-bound run, then a clean finish: nothing lost, nothing doubled")
    func killNineLoop() throws {
        let cli = try CLIHarness()
        let batch = try Fleets.bigFleet(cli, count: 600)
        // seeded, so that a failure can be replayed: MDMBATCH_KILL_SEED=N
        let seed = ProcessInfo.processInfo.environment["MDMBATCH_KILL_SEED"].flatMap(UInt64.init) ?? 20_261_126
        var generator = SeededGenerator(seed: seed)
        var kills = 0
        for attempt in 1...40 where kills < 20 {
            // 600 calls of 60 ms, 8 at a time: about 4.5 s of work, cut into pieces by the kills
            let process = try BackgroundRun.start(cli, ["run", batch, "--rate", "off", "--concurrency", "8", "--mock-latency-ms", "60",
                                               "--passcodes-out", cli.path("p\(attempt).csv")])
            Thread.sleep(forTimeInterval: Double.random(in: 0.1...0.4, using: &generator))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExitPolling()
        }
        #expect(kills == 20, "seed \(seed)")
        let final = try cli.run(["run", batch, "--rate", "off", "--concurrency", "8", "--passcodes-out", cli.path("final.csv")])
        #expect([0, 1].contains(final.status), "\(final.stderr)")
        try RunInvariants.checkNothingLostNothingDoubled(cli)
        #expect(try cli.sql("SELECT count(*) FROM runs") == "1", "every restart resumed the one run")
        #expect(try cli.sql("SELECT count(*) FROM dispatches") == "600")
        #expect(try cli.sql("SELECT count(*) FROM dispatches WHERE state = 'succeeded'") != "0")
    }

    @Test("--quiet prints nothing when all went well; --log-format json writes one object per line; progress only on a terminal",
          OptionalProgram.needs(OptionalProgram.script, "script", install: "apt-get install -y bsdutils"))
    func quietLogsAndProgress() throws {
        let cli = try CLIHarness()
        let batch = try Fleets.bigFleet(cli, count: 40)
        let locks = try cli.write("locks.csv", "request_id,action,target\nl-1,lock,k-0\nl-2,lock,k-2\n")
        let quiet = try cli.run(["run", locks, "--quiet"])
        #expect(quiet.status == 0 && quiet.stdout.isEmpty && quiet.stderr.isEmpty, "\(quiet)")

        let logged = try cli.run(["run", batch, "--rate", "off", "--log-format", "json", "--passcodes-out", cli.path("p.csv")])
        #expect(logged.status == 0)
        let lines = logged.stderr.split(separator: "\n")
        #expect(!lines.isEmpty && !logged.stderr.contains("\r"), "no progress line in a pipe")
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["time"] is String && object?["level"] is String && object?["message"] is String, "\(line)")
            #expect(object?["run"] is String, "every line of a run names it: \(line)")
        }

        // on a terminal (a pseudo-terminal from script(1)) the progress line is drawn on stderr
        let again = try cli.write("again.csv", "action,target\nlock,k-0\nlock,k-2\nlock,k-4\n")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(OptionalProgram.script, "script(1) is needed"))
        let command = [CLIHarness.binary.path, "run", again, "--db", cli.database, "--mock-latency-ms", "400", "--rate", "off",
                       "--concurrency", "1"].joined(separator: " ")
        process.arguments = ["-qec", command, "/dev/null"]
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = Pipe()
        try process.run()
        let screen = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExitPolling()
        #expect(process.terminationStatus == 0, "\(screen)")
        #expect(screen.contains("/3 done"), "\(screen)")
    }

    @Test("a full disk exits 74 and leaves the database as it was")
    func diskFull() throws {
        let cli = try Fleets.loaded()
        let before = try cli.sql(".dump")
        var devices = "device_id,platform,os_version,management,primary_user_upn,enrolled_by_upn,passcode_set\n"
        for i in 0..<20_000 { devices += "f-\(i),iOS,17.2,mdm,someone\(i)@contoso.com,someone\(i)@contoso.com,true\n" }
        try cli.write("many.csv", devices)
        // a file size limit makes writes fail as a full disk does (SIGXFSZ ignored: EFBIG)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "trap '' XFSZ; ulimit -f 600; exec \"$0\" import devices many.csv --db \"$1\"",
                             CLIHarness.binary.path, cli.database]
        process.currentDirectoryURL = cli.directory
        let err = Pipe()
        process.standardError = err
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExitPolling()
        #expect(process.terminationStatus == 74, "\(message)")
        #expect(try cli.sql(".dump") == before)
    }

    @Test("a read-only database exits 74 and is left as it was",
          OptionalProgram.needs(geteuid() == 0 ? OptionalProgram.setpriv : "", "setpriv", install: "apt-get install -y util-linux"))
    func readOnlyDatabase() throws {
        let cli = try Fleets.loaded()
        _ = try cli.sql("PRAGMA wal_checkpoint(TRUNCATE)")
        let before = try Data(contentsOf: URL(fileURLWithPath: cli.database))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: cli.directory.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: cli.database)
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: cli.database + suffix) }
        try cli.write("more.csv", "device_id,platform\nro-1,iOS\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: cli.path("more.csv"))
        let process = Process()
        if geteuid() == 0 {
            // root writes anyway: run as nobody, for whom the file is read-only
            process.executableURL = URL(fileURLWithPath: try #require(OptionalProgram.setpriv, "setpriv(1) is needed as root"))
            process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", CLIHarness.binary.path,
                                 "import", "devices", cli.path("more.csv"), "--db", cli.database]
        } else {
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: cli.directory.path)
            process.executableURL = CLIHarness.binary
            process.arguments = ["import", "devices", cli.path("more.csv"), "--db", cli.database]
        }
        let err = Pipe()
        process.standardError = err
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExitPolling()
        try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: cli.directory.path)
        #expect(process.terminationStatus == 74, "\(message)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.database)) == before)
    }

    @Test("run-spool files each batch under done or failed with its report, only once its run is terminal; a crash leaves it for the next run")
    func spool() throws {
        let cli = try Fleets.loaded()
        let incoming = cli.directory.appendingPathComponent("spool/incoming")
        try FileManager.default.createDirectory(at: incoming, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: cli.sample("batch-lost.csv"), toPath: incoming.appendingPathComponent("01-lost.csv").path)
        try Data("request_id,action,target\ns-1,lock,d-0001\n".utf8).write(to: incoming.appendingPathComponent("02-one.csv"))
        try Data("action,target\n\"lock,d-0001\n".utf8).write(to: incoming.appendingPathComponent("03-broken.csv"))
        let spool = cli.path("spool")

        // the first attempt dies after a call: nothing is filed
        let crashed = try cli.run(["run-spool", spool, "--rate", "off"], environment: ["MDMBATCH_CRASH_AT": "after-call:3"])
        #expect(crashed.stderr.contains("crash point"))
        #expect(FileManager.default.fileExists(atPath: incoming.appendingPathComponent("01-lost.csv").path))

        let result = try cli.run(["run-spool", spool, "--rate", "off"])
        #expect(result.status == 1, "\(result.stderr)")
        func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: cli.path("spool/" + path)) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: incoming.path).isEmpty)
        #expect(exists("done/02-one.csv") && exists("done/02-one.csv.report.json"))
        #expect(exists("failed/01-lost.csv") && exists("failed/01-lost.csv.report.json"))
        #expect(exists("failed/03-broken.csv") && exists("failed/03-broken.csv.error.txt"))
        let passcodeFiles = try FileManager.default.contentsOfDirectory(atPath: cli.path("spool/failed")).filter { $0.contains("passcodes") }
        #expect(!passcodeFiles.isEmpty, "the sample batch makes temporary passcodes")
        for name in passcodeFiles {
            #expect(try FileManager.default.attributesOfItem(atPath: cli.path("spool/failed/" + name))[.posixPermissions] as? Int == 0o600)
        }
        #expect(try cli.sql("SELECT count(*) FROM runs") == "2")
        try RunInvariants.checkNothingLostNothingDoubled(cli)

        // nothing left: a second spool run does nothing and succeeds
        #expect(try cli.run(["run-spool", spool]).status == 0)
    }
}
