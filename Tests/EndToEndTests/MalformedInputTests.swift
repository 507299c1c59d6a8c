import Foundation
import Testing

/// Input that is malformed or too large is refused (65) with where it is, in bounded memory,
/// the database left as it was (issue 14, items 11–14; issue 23, items 5 and 6, the Graph
/// pages from a scripted server).
@Suite("Malformed and oversized input is refused in bounded memory (the built binary)", .serialized)
struct MalformedInputTests {
    /// `mdmbatch ARGS` with its wall time and peak memory (KiB, from python's
    /// RUSAGE_CHILDREN: this child only).
    static func measured(_ cli: CLIHarness, _ arguments: [String], environment: [String: String] = [:]) throws
        -> (result: CLIHarness.Result, seconds: Double, maxRSSKiB: Int) {
        let wrapper = "import resource,subprocess,sys\nr=subprocess.run(sys.argv[1:])\n"
            + "sys.stderr.write('\\nMAXRSS %d\\n' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\nsys.exit(r.returncode)\n"
        let start = Date()
        let result = try CLIHarness.execute(URL(fileURLWithPath: "/usr/bin/env"),
                                            ["python3", "-c", wrapper, CLIHarness.binary.path] + arguments + ["--db", cli.database],
                                            in: cli.directory, environment: environment)
        let rss = result.stderr.split(separator: "\n").last { $0.hasPrefix("MAXRSS ") }.flatMap { Int($0.dropFirst(7)) } ?? Int.max
        return (result, Date().timeIntervalSince(start), rss)
    }

    static let oddObjects: [(String, [UInt8])] = [
        ("invalid UTF-8", Array(#"{"id":"g-2","deviceName":"bad "#.utf8) + [0xC3, 0x28] + Array(#"","operatingSystem":"iOS"}"#.utf8)),
        ("a lone surrogate", Array(#"{"id":"g-2","deviceName":"\ud800","operatingSystem":"iOS"}"#.utf8)),
        ("a number out of range", Array(#"{"id":"g-2","deviceName":"x","operatingSystem":"iOS","osVersion":1e999}"#.utf8)),
    ]

    @Test("a NUL byte, a repeated header column or a field over --max-field-bytes is a malformed file (65)", arguments: [
        ("import", "device_id,platform\nd-1,iO\u{0}S\n", "2:2: a NUL byte in the field"),
        ("import", "device_id,platform,Device ID\nd-1,iOS,d-1\n", "1:3: column \"Device ID\" repeats column 1"),
        ("plan", "action,target,Target\nlock,d-0001,d-0002\n", "1:3: column \"Target\" repeats column 2"),
        ("plan", "action,target\nlock,d-00\u{0}01\n", "2:2: a NUL byte in the field"),
        ("plan", "{\"action\": \"lock\", \"target\": \"d-\\u0000\"}\n", "1:1: \"target\": a NUL character"),
    ])
    func malformedFields(command: String, text: String, fragment: String) throws {
        let cli = try Fleets.loaded()
        let file = try cli.write(text.hasPrefix("{") ? "in.jsonl" : "in.csv", text)
        let before = try cli.sql(".dump")
        let result = try cli.run(command == "import" ? ["import", "devices", file] : ["plan", file])
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains(fragment), "\(result.stderr)")
        #expect(try cli.sql(".dump") == before)
    }

    @Test("a field over --max-field-bytes is refused without loading it")
    func fieldSizeLimit() throws {
        let cli = try CLIHarness()
        let big = String(repeating: "x", count: 70_000)
        let file = try cli.write("big.csv", "device_id,platform,device_name\nd-1,iOS,\(big)\n")
        let refused = try cli.run(["import", "devices", file])
        #expect(refused.status == 65 && refused.stderr.contains("big.csv:2:3: a field longer than 65536 bytes"), "\(refused.stderr)")
        #expect(try cli.run(["import", "devices", file, "--max-field-bytes", "100000", "--quiet"]).status == 0)
        let batch = try cli.write("b.csv", "action,target,reason\nlock,d-1,\(big)\n")
        #expect(try cli.run(["plan", batch]).status == 65)
    }

    @Test("item 5: a Graph page of 200 MB is refused at once (65, naming the URL), asked once, in under 100 MiB")
    func hugeGraphPage() async throws {
        let cli = try CLIHarness()
        let server = try ScriptedHTTPServer { request, _ in
            request.path.hasSuffix("/oauth2/v2.0/token") ? .token() : .endless(total: 200 << 20)
        }
        defer { server.stop() }
        let (result, _, rss) = try await offPool {
            try Self.measured(cli, ["import", "devices", "--from-graph"] + Array(server.flags.dropFirst(2)), environment: ScriptedHTTPServer.environment)
        }
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains(server.url + "/v1.0/deviceManagement/managedDevices"), "\(result.stderr)")
        #expect(server.requests.filter { $0.path.contains("managedDevices") }.count == 1, "a page too large is not asked again")
        #expect(rss < 100 * 1024, "peak \(rss) KiB")
    }

    @Test("item 5: a JSONL line of 200 MB of numbers is refused (65, naming line 1) in under 100 MiB, the database as it was")
    func hugeJSONLLine() async throws {
        let cli = try Fleets.loaded()
        let before = try await cli.query("SELECT count(*), total(length(device_name)) FROM devices")
        let path = cli.path("huge.jsonl")
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.write(contentsOf: Data(#"{"device_id":"d-9999","platform":"iOS","numbers":["#.utf8))
        let chunk = Data(String(repeating: "1,", count: 1 << 19).utf8)
        for _ in 0..<200 { try handle.write(contentsOf: chunk) }
        try handle.write(contentsOf: Data("1]}\n".utf8))
        try handle.close()
        let (result, seconds, rss) = try await offPool { try Self.measured(cli, ["import", "devices", path, "--format", "jsonl"]) }
        try? FileManager.default.removeItem(atPath: path)
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("huge.jsonl:1:1:"), "\(result.stderr)")
        #expect(rss < 100 * 1024, "peak \(rss) KiB")
        #expect(seconds < 180, "took \(seconds) s (100 s before the limit)")
        #expect(try await cli.query("SELECT count(*), total(length(device_name)) FROM devices") == before)
    }

    @Test("item 6: invalid UTF-8, a lone \\ud800 or 1e999 in a Graph page is malformed input (65) naming the URL and the object",
          arguments: 0..<3)
    func oddBytesInPage(index: Int) async throws {
        let cli = try CLIHarness()
        let good = Array(#"{"id":"g-1","deviceName":"ok","operatingSystem":"iOS","osVersion":"17.2","managementAgent":"mdm"}"#.utf8)
        let page = Array(#"{"value":["#.utf8) + good + [UInt8(ascii: ",")] + Self.oddObjects[index].1 + Array("]}".utf8)
        let server = try ScriptedHTTPServer { request, _ in
            request.path.hasSuffix("/oauth2/v2.0/token") ? .token() : .answer(status: 200, headers: ["Content-Type: application/json"], body: page)
        }
        defer { server.stop() }
        let result = try await cli.mdm(["import", "devices", "--from-graph"] + Array(server.flags.dropFirst(2)), environment: ScriptedHTTPServer.environment)
        #expect(result.status == 65, "\(Self.oddObjects[index].0): \(result)")
        #expect(result.stderr.contains(server.url + "/v1.0/deviceManagement/managedDevices"), "\(result.stderr)")
        #expect(result.stderr.contains("object 2"), "\(result.stderr)")
    }

    @Test("item 6: a JSONL file with invalid UTF-8 says so, naming the line")
    func invalidUTF8InJSONL() throws {
        let cli = try CLIHarness()
        let path = cli.path("bad.jsonl")
        try Data(Array(#"{"device_id":"d-1","platform":"iOS"}"#.utf8) + [0x0A] + Array(#"{"device_id":"d-2","platform":""#.utf8)
                 + [0xFF, 0xFE] + Array("\"}\n".utf8)).write(to: URL(fileURLWithPath: path))
        let result = try cli.run(["import", "devices", path, "--format", "jsonl"])
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("bad.jsonl:2:1:") && result.stderr.contains("invalid UTF-8"), "\(result.stderr)")
        #expect(!result.stderr.contains("Dictionary"), "\(result.stderr)")
    }
}
