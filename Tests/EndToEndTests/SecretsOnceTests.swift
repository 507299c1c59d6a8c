import Foundation
import MDMBatchKit
import Testing

/// DESIGN.md, "Secrets exactly once, even across kill -9 and two `confirm`s": an element
/// claims the file (path and inode) in the transaction that records it, then the line is
/// written and fsynced, then it is marked delivered; a claim left without a mark is resolved
/// by the next run or confirm, which reads the claimed file.
@Suite("Secrets exactly once", .serialized)
struct SecretsOnceTests {
    /// Every secrets line of the files named `prefix*.csv` in the test's folder, by the
    /// element it belongs to (device, request, line, action), counted.
    static func deliveries(_ cli: CLIHarness) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: cli.directory.path) where name.hasSuffix(".csv")
            && (name.hasPrefix("p") || name.hasPrefix("c")) && name != "big.csv" {
            let lines = try String(contentsOfFile: cli.path(name), encoding: .utf8).split(separator: "\n")
            #expect(lines.first == "device_id,request_id,line,action,kind,secret", "\(name) begins with its header")
            for line in lines.dropFirst() {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                #expect(fields.count == 6 && !fields[5].isEmpty, "\(name): a whole line: \(line)")
                counts[fields.prefix(4).joined(separator: ","), default: 0] += 1
            }
        }
        return counts
    }

    /// Each reset the service did reached exactly one file, and the database says so.
    static func checkExactlyOnce(_ cli: CLIHarness, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let counts = try deliveries(cli)
        #expect(counts.values.allSatisfy { $0 == 1 }, "a secret written twice: \(counts.filter { $0.value > 1 })",
                sourceLocation: sourceLocation)
        let made = try cli.sql("""
            SELECT device_id || ',' || request_id || ',' || line || ',' || action FROM dispatches
            WHERE state = 'succeeded' AND secret IS NOT NULL ORDER BY seq
            """).split(separator: "\n").map(String.init)
        #expect(!made.isEmpty, sourceLocation: sourceLocation)
        #expect(Set(counts.keys) == Set(made), "every secret made reached a file, and only those", sourceLocation: sourceLocation)
        #expect(try cli.sql("""
            SELECT count(*) FROM dispatches WHERE secret IS NOT NULL AND state = 'succeeded'
            AND (secret_delivered_at IS NULL OR secret_claim_path IS NOT NULL)
            """) == "0", "each recorded delivered, no claim left", sourceLocation: sourceLocation)
    }

    @Test("killed between the claim, the line and the mark: a confirm, a second confirm and the resumed run write each secret once",
          arguments: ["after-secret-claim", "after-secret-write", "after-secret-claim:4", "after-secret-write:4"])
    func killedAtEachStep(point: String) throws {
        let cli = try CLIHarness()
        let batch = try Fleets.bigFleet(cli, count: 24)
        let crashed = try cli.run(["run", batch, "--rate", "off", "--concurrency", "4", "--passcodes-out", cli.path("p1.csv")],
                                  environment: ["MDMBATCH_CRASH_AT": point])
        #expect(crashed.stderr.contains("crash point \(point.split(separator: ":")[0]) reached"), "\(crashed)")
        #expect(try cli.sql("SELECT count(*) FROM dispatches WHERE secret_claim_path IS NOT NULL") != "0",
                "the kill left a claim without a mark")
        let runID = try cli.sql("SELECT id FROM runs")
        let first = try cli.run(["confirm", runID, "--passcodes-out", cli.path("c1.csv")])
        #expect([0, 1].contains(first.status), "\(first)")
        let second = try cli.run(["confirm", runID, "--passcodes-out", cli.path("c2.csv")])
        #expect([0, 1].contains(second.status), "\(second)")
        #expect(!FileManager.default.fileExists(atPath: cli.path("c2.csv")), "the second confirm had no secret left to write")
        let resumed = try cli.run(["run", batch, "--rate", "off", "--concurrency", "4", "--passcodes-out", cli.path("p2.csv")])
        #expect([0, 1].contains(resumed.status), "\(resumed)")
        try Self.checkExactlyOnce(cli)
        try RunInvariants.checkNothingLostNothingDoubled(cli)
        if point.hasPrefix("after-secret-write") {
            #expect(!FileManager.default.fileExists(atPath: cli.path("c1.csv")),
                    "the line the kill left unmarked was found in p1.csv: nothing for confirm to write")
        } else {
            #expect(FileManager.default.fileExists(atPath: cli.path("c1.csv")), "the claimed line never reached p1.csv: confirm wrote it")
        }
    }

    @Test("a claimed file replaced by another (another inode) does not count: the secret is delivered again, once")
    func replacedFile() throws {
        let cli = try CLIHarness()
        let batch = try Fleets.bigFleet(cli, count: 8)
        let crashed = try cli.run(["run", batch, "--rate", "off", "--concurrency", "1", "--passcodes-out", cli.path("p1.csv")],
                                  environment: ["MDMBATCH_CRASH_AT": "after-secret-write"])
        #expect(crashed.stderr.contains("crash point after-secret-write reached"), "\(crashed)")
        let text = try String(contentsOfFile: cli.path("p1.csv"), encoding: .utf8)
        try FileManager.default.moveItem(atPath: cli.path("p1.csv"), toPath: cli.path("moved.txt"))
        // the same bytes at the same path: another file all the same
        _ = try cli.write("p1.csv", text)
        let confirmed = try cli.run(["confirm", try cli.sql("SELECT id FROM runs"), "--passcodes-out", cli.path("c1.csv")])
        #expect([0, 1].contains(confirmed.status), "\(confirmed)")
        let again = try String(contentsOfFile: cli.path("c1.csv"), encoding: .utf8).split(separator: "\n")
        #expect(again.count == 2, "the one unmarked secret delivered again: \(again)")
    }

    @Test("confirm beside a run of the same database exits 75 naming the holder, and creates no secrets file")
    func confirmBesideRun() throws {
        let cli = try CLIHarness()
        let batch = try Fleets.bigFleet(cli, count: 40)
        let running = try BackgroundRun.start(cli, ["run", batch, "--rate", "off", "--concurrency", "1", "--mock-latency-ms", "300",
                                                      "--passcodes-out", cli.path("p1.csv")])
        defer { if running.isRunning { kill(running.processIdentifier, SIGKILL) } }
        var runID = ""
        for _ in 0..<200 where runID.isEmpty {
            Thread.sleep(forTimeInterval: 0.05)
            runID = (try? cli.sql("SELECT id FROM runs")) ?? ""
        }
        #expect(!runID.isEmpty && running.isRunning)
        let confirmed = try cli.run(["confirm", runID, "--passcodes-out", cli.path("c1.csv")])
        #expect(confirmed.status == 75, "\(confirmed)")
        #expect(confirmed.stderr.contains("mdmbatch run"), "names the holder: \(confirmed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cli.path("c1.csv")))
        kill(running.processIdentifier, SIGTERM)
        running.waitUntilExitPolling()
    }

    @Test("12 kill -9 at random moments of runs and confirms, then a clean finish: each secret in exactly one file")
    func killLoop() throws {
        let cli = try CLIHarness()
        let batch = try Fleets.bigFleet(cli, count: 400)
        let seed = ProcessInfo.processInfo.environment["MDMBATCH_KILL_SEED"].flatMap(UInt64.init) ?? 20_261_207
        var generator = SeededGenerator(seed: seed)
        var kills = 0
        for round in 1...12 {
            let runID = (try? cli.sql("SELECT id FROM runs")) ?? ""
            // every third round a confirm of the run so far is killed instead
            let arguments = round % 3 == 0 && !runID.isEmpty
                ? ["confirm", runID, "--passcodes-out", cli.path("c\(round).csv")]
                : ["run", batch, "--rate", "off", "--concurrency", "8", "--mock-latency-ms", "80",
                   "--passcodes-out", cli.path("p\(round).csv")]
            let before = (try? cli.sql("SELECT count(*) FROM audit_log")) ?? "0"
            let process = try BackgroundRun.start(cli, arguments)
            // killed while it works: once it has written something (a debug binary takes a while to start)
            var waited = 0
            while waited < 500 && process.isRunning && ((try? cli.sql("SELECT count(*) FROM audit_log")) ?? "0") == before {
                Thread.sleep(forTimeInterval: 0.02)
                waited += 1
            }
            Thread.sleep(forTimeInterval: Double.random(in: 0.02...0.5, using: &generator))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExitPolling()
        }
        #expect(kills >= 8, "most rounds were cut by a kill: \(kills) (seed \(seed))")
        #expect(try cli.sql("SELECT count(*) FROM dispatches WHERE secret_delivered_at IS NOT NULL") != "0",
                "secrets were delivered before the end (seed \(seed))")
        let runID = try cli.sql("SELECT id FROM runs")
        #expect(!runID.contains("\n"), "one run, resumed each time")
        let confirmed = try cli.run(["confirm", runID, "--passcodes-out", cli.path("c-final.csv")])
        #expect([0, 1].contains(confirmed.status), "\(confirmed)")
        let final = try cli.run(["run", batch, "--rate", "off", "--concurrency", "8", "--passcodes-out", cli.path("p-final.csv")])
        #expect([0, 1].contains(final.status), "\(final.stderr)")
        try Self.checkExactlyOnce(cli)
        try RunInvariants.checkNothingLostNothingDoubled(cli)
    }
}
