import Foundation
import Synchronization
import Testing

/// A tiny HTTP/1.1 server on a free loopback port, plain POSIX sockets and a thread per
/// connection, answering as a script says: the sign-in authority and Graph as no
/// well-behaved simulator would (a body dripped a byte at a time, a page of 200 MB, bytes
/// that are not UTF-8).
final class ScriptedHTTPServer: Sendable {
    struct Request: Sendable {
        var method: String
        var path: String
        var body: String
    }

    enum Reply: Sendable {
        case answer(status: Int, headers: [String] = [], body: [UInt8] = [])
        /// The head with a Content-Length, then the body a byte every `interval`.
        case drip(body: [UInt8], interval: Double)
        /// A 200 without a length, then `total` bytes of spaces, until the client hangs up.
        case endless(total: Int)

        static func json(_ status: Int, _ text: String) -> Reply {
            .answer(status: status, headers: ["Content-Type: application/json"], body: Array(text.utf8))
        }

        static func token() -> Reply {
            .json(200, #"{"token_type":"Bearer","expires_in":3599,"access_token":"fake-token"}"#)
        }
    }

    let port: Int
    private let listener: Int32
    private let script: @Sendable (Request, Int) -> Reply
    private let state = Mutex<(requests: [Request], connections: [Int32], stopped: Bool)>(([], [], false))

    var url: String { "http://127.0.0.1:\(port)" }
    /// mdmbatch's flags to talk to this server.
    var flags: [String] { ["--transport", "graph", "--graph-url", url + "/v1.0", "--authority-url", url] }
    var requests: [Request] { state.withLock { $0.requests } }
    var tokenRequests: Int { requests.filter { $0.path.hasSuffix("/oauth2/v2.0/token") }.count }

    /// `script(request, n)`: n counts the requests to the same path, from 1.
    init(_ script: @escaping @Sendable (Request, Int) -> Reply) throws {
        self.script = script
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0, listen(fd, 64) == 0 else { throw HarnessError("cannot listen on loopback") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    deinit { stop() }

    func stop() {
        let connections = state.withLock { state -> [Int32]? in
            guard !state.stopped else { return nil }
            state.stopped = true
            return state.connections
        }
        // once only: the deinit of a server stopped long before must not shut down a socket
        // that has since taken its listener's number (the next test's server)
        guard let connections else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        for fd in connections { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { close(listener); return }
            let stopped = state.withLock { state -> Bool in
                if !state.stopped { state.connections.append(fd) }
                return state.stopped
            }
            if stopped { close(fd); return }
            Thread { [self] in serve(fd) }.start()
        }
    }

    private var stopped: Bool { state.withLock { $0.stopped } }

    private func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { return false }
            offset += written
        }
        return true
    }

    private func serve(_ fd: Int32) {
        defer {
            // forgotten before it is closed: `stop` must never shut down a number reused since
            state.withLock { $0.connections.removeAll { $0 == fd } }
            close(fd)
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            // one request: its head, then Content-Length bytes of body
            var headEnd: Int?
            while headEnd == nil {
                if let range = received.firstRange(of: Array("\r\n\r\n".utf8)) { headEnd = range.upperBound; break }
                let count = read(fd, &buffer, buffer.count)
                guard count > 0 else { return }
                received += buffer[0..<count]
            }
            let head = String(decoding: received[..<headEnd!], as: UTF8.self)
            let lines = head.split(separator: "\r\n")
            let words = lines.first?.split(separator: " ") ?? []
            let length = lines.compactMap { line -> Int? in
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                return Int(parts[1].trimmingCharacters(in: .whitespaces))
            }.first ?? 0
            while received.count < headEnd! + length {
                let count = read(fd, &buffer, buffer.count)
                guard count > 0 else { return }
                received += buffer[0..<count]
            }
            let request = Request(method: words.count > 0 ? String(words[0]) : "", path: words.count > 1 ? String(words[1]) : "",
                                  body: String(decoding: received[headEnd!..<(headEnd! + length)], as: UTF8.self))
            received.removeFirst(headEnd! + length)
            let number = state.withLock { state -> Int in
                state.requests.append(request)
                let bare = request.path.split(separator: "?").first.map(String.init) ?? request.path
                return state.requests.filter { ($0.path.split(separator: "?").first.map(String.init) ?? $0.path) == bare }.count
            }
            switch script(request, number) {
            case .answer(let status, let headers, let body):
                let text = "HTTP/1.1 \(status) X\r\n" + headers.map { $0 + "\r\n" }.joined() + "Content-Length: \(body.count)\r\n\r\n"
                guard send(fd, Array(text.utf8) + body) else { return }
            case .drip(let body, let interval):
                guard send(fd, Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8)) else { return }
                for byte in body {
                    guard !stopped, send(fd, [byte]) else { return }
                    Thread.sleep(forTimeInterval: interval)
                }
            case .endless(let total):
                guard send(fd, Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"value\":[".utf8)) else { return }
                let chunk = [UInt8](repeating: 0x20, count: 1 << 20)
                var sent = 0
                while sent < total, !stopped, send(fd, chunk) { sent += chunk.count }
                return
            }
        }
    }
}

/// Issue 23, items 4 to 11: what a careful user found in the third round, each as a test of
/// the built binary (the Graph ones against a scripted server on loopback).
@Suite("A careful user's findings, third pass (issue 23, the built binary)", .serialized)
struct CarefulUserThirdPassTests {
    static let secret = "S3cr3t-XYZ-fake-client-secret"
    static let environment = ["MDMBATCH_TENANT_ID": "8f4b2d6e-3c1a-4e5f-9a7b-0d2c4e6f8a1b", "MDMBATCH_CLIENT_ID": "fake-app",
                              "MDMBATCH_CLIENT_SECRET": secret, "MDMBATCH_CLIENT_CERTIFICATE": ""]

    static func loaded() throws -> CLIHarness {
        let cli = try CLIHarness()
        #expect(try cli.run(["import", "users", cli.sample("users.csv"), "--quiet"]).status == 0)
        #expect(try cli.run(["import", "devices", cli.sample("devices.csv"), "--quiet"]).status == 0)
        return cli
    }

    /// A Graph that signs in and accepts every action.
    static func acceptingGraph(token: @escaping @Sendable (Int) -> ScriptedHTTPServer.Reply = { _ in .token() })
        throws -> ScriptedHTTPServer {
        try ScriptedHTTPServer { request, number in
            if request.path.hasSuffix("/oauth2/v2.0/token") { return token(number) }
            if request.method == "POST" { return .answer(status: 204) }
            return .json(404, #"{"error":{"code":"ResourceNotFound","message":"no"}}"#)
        }
    }

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

    // MARK: 4. hangs

    /// The sample fleet, a batch of one lock, and an authority dripping a 100 kB answer a
    /// byte every 50 ms (5,000 s in all).
    static func drippingAuthority() throws -> (CLIHarness, ScriptedHTTPServer, String) {
        let cli = try Self.loaded()
        let body = [UInt8](repeating: UInt8(ascii: " "), count: 100_000)
        let server = try ScriptedHTTPServer { _, _ in .drip(body: body, interval: 0.05) }
        return (cli, server, try cli.write("b.csv", "request_id,action,target\nr-1,lock,d-0001\n"))
    }

    @Test("item 4: a token endpoint dripping its body: run --max-run-time 5s ends within 60 s (not 200), interrupted (75), the lock free")
    func drippingSignInMaxRunTime() async throws {
        let (cli, server, batch) = try Self.drippingAuthority()
        defer { server.stop() }
        let started = Date()
        let result = try await cli.mdm(["run", batch, "--max-run-time", "5s"] + server.flags, environment: Self.environment)
        #expect(Date().timeIntervalSince(started) < 60, "it hung for 200 s; the stop cancels the sign-in, and the request timeout bounds the body")
        #expect(result.status == 75, "\(result)")
        #expect(try await cli.query("SELECT state FROM runs") == "interrupted")
        #expect(try await cli.query("SELECT group_concat(state) FROM dispatches") == "queued", "nothing was sent")
        // the lock is free: another run can start at once (it is refused for its own reason, not 75)
        let again = try await cli.mdm(["run", batch, "--max-run-time", "1s"] + server.flags, environment: Self.environment)
        #expect(!again.stderr.contains("holds"), "\(again)")
    }

    @Test("item 4: SIGTERM during a dripping sign-in ends the run within 90 s (not 5,000), interrupted (75)")
    func drippingSignInSignal() async throws {
        let (cli, server, batch) = try Self.drippingAuthority()
        defer { server.stop() }
        let process = try BackgroundRun.start(cli, ["run", batch] + server.flags, environment: Self.environment)
        let box = UncheckedSendable(process)
        let signalled = try await offPool { () -> Bool in
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline && server.tokenRequests == 0 { usleep(20_000) }
            usleep(300_000)
            kill(box.value.processIdentifier, SIGTERM)
            let exitBy = Date().addingTimeInterval(90)
            while box.value.isRunning && Date() < exitBy { usleep(20_000) }
            if box.value.isRunning {
                kill(box.value.processIdentifier, SIGKILL)
                return false
            }
            return true
        }
        await waitForExit(process)
        #expect(signalled, "the run was still going 30 s after SIGTERM")
        #expect(process.terminationStatus == 75)
        #expect(try await cli.query("SELECT state FROM runs") == "interrupted")
    }

    // MARK: 5. bounded inputs

    @Test("item 5: a Graph page of 200 MB is refused at once (65, naming the URL), asked once, in under 100 MiB")
    func hugeGraphPage() async throws {
        let cli = try CLIHarness()
        let server = try ScriptedHTTPServer { request, _ in
            request.path.hasSuffix("/oauth2/v2.0/token") ? .token() : .endless(total: 200 << 20)
        }
        defer { server.stop() }
        let (result, _, rss) = try await offPool {
            try Self.measured(cli, ["import", "devices", "--from-graph"] + Array(server.flags.dropFirst(2)), environment: Self.environment)
        }
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains(server.url + "/v1.0/deviceManagement/managedDevices"), "\(result.stderr)")
        #expect(server.requests.filter { $0.path.contains("managedDevices") }.count == 1, "a page too large is not asked again")
        #expect(rss < 100 * 1024, "peak \(rss) KiB")
    }

    @Test("item 5: a JSONL line of 200 MB of numbers is refused (65, naming line 1) in under 100 MiB, the database as it was")
    func hugeJSONLLine() async throws {
        let cli = try Self.loaded()
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

    // MARK: 6. odd bytes

    static let oddObjects: [(String, [UInt8])] = [
        ("invalid UTF-8", Array(#"{"id":"g-2","deviceName":"bad "#.utf8) + [0xC3, 0x28] + Array(#"","operatingSystem":"iOS"}"#.utf8)),
        ("a lone surrogate", Array(#"{"id":"g-2","deviceName":"\ud800","operatingSystem":"iOS"}"#.utf8)),
        ("a number out of range", Array(#"{"id":"g-2","deviceName":"x","operatingSystem":"iOS","osVersion":1e999}"#.utf8)),
    ]

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
        let result = try await cli.mdm(["import", "devices", "--from-graph"] + Array(server.flags.dropFirst(2)), environment: Self.environment)
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

    // MARK: 7. secrets

    @Test("item 7: an error_description echoing the client secret near character 990 shows no part of it")
    func secretEchoedNearTheCut() async throws {
        let cli = try Self.loaded()
        let description = String(repeating: "x", count: 988) + " " + Self.secret + " was not accepted"
        let answer = try JSONSerialization.data(withJSONObject: ["error": "invalid_client", "error_description": description])
        let server = try ScriptedHTTPServer { _, _ in .answer(status: 401, headers: ["Content-Type: application/json"], body: Array(answer)) }
        defer { server.stop() }
        let batch = try cli.write("b.csv", "request_id,action,target\nr-1,lock,d-0001\n")
        let result = try await cli.mdm(["run", batch] + server.flags, environment: Self.environment)
        #expect(result.status == 77, "\(result)")
        for text in [result.stdout, result.stderr, try await cli.query("SELECT group_concat(detail) FROM audit_log")] {
            #expect(!text.contains("S3cr3t") && !text.contains("XYZ-fake"), "\(text.suffix(200))")
        }
    }

    // MARK: 9. secrets file

    @Test("item 9: a refused sign-in leaves no secrets file, so the same command can be run again (77 both times, not 73)")
    func noEmptySecretsFile() async throws {
        let cli = try Self.loaded()
        let server = try ScriptedHTTPServer { _, _ in .json(401, #"{"error":"invalid_client","error_description":"bad secret"}"#) }
        defer { server.stop() }
        let batch = try cli.write("b.csv", "request_id,action,target\nr-1,reset_passcode,d-0006\n")
        let arguments = ["run", batch, "--passcodes-out", cli.path("p.csv"), "--confirm"] + server.flags
        let first = try await cli.mdm(arguments, environment: Self.environment)
        #expect(first.status == 77, "\(first)")
        #expect(!FileManager.default.fileExists(atPath: cli.path("p.csv")), "no secret came: no file")
        let second = try await cli.mdm(arguments, environment: Self.environment)
        #expect(second.status == 77, "\(second)")
    }

    @Test("item 9: a mock run whose batch makes no secret leaves no secrets file; one that does writes it 0600")
    func secretsFileOnlyWithASecret() throws {
        let cli = try Self.loaded()
        let locks = try cli.write("l.csv", "request_id,action,target\nr-1,lock,d-0001\n")
        #expect(try cli.run(["run", locks, "--passcodes-out", cli.path("p.csv"), "--quiet"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: cli.path("p.csv")))
        let resets = try cli.write("r.csv", "request_id,action,target\nr-2,reset_passcode,d-0006\n")
        #expect(try cli.run(["run", resets, "--passcodes-out", cli.path("p.csv"), "--quiet"]).status == 0)
        let attributes = try FileManager.default.attributesOfItem(atPath: cli.path("p.csv"))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try cli.secrets("p.csv").count == 1)
    }

    // MARK: 10. run-spool

    static func spool(_ cli: CLIHarness) throws -> URL {
        let root = cli.directory.appendingPathComponent("spool")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("incoming"), withIntermediateDirectories: true)
        return root
    }

    static func listing(_ folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    @Test("item 10: a symbolic link in incoming/ is logged and filed under failed/ with an .error.txt, never followed")
    func spoolSymbolicLink() throws {
        let cli = try Self.loaded()
        let root = try Self.spool(cli)
        let target = try cli.write("real.csv", "request_id,action,target\nr-1,lock,d-0001\n")
        #expect(symlink(target, root.appendingPathComponent("incoming/link.csv").path) == 0)
        let result = try cli.run(["run-spool", root.path])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("link.csv"), "logged: \(result.stderr)")
        #expect(Self.listing(root.appendingPathComponent("incoming")).isEmpty)
        #expect(Self.listing(root.appendingPathComponent("failed")) == ["link.csv", "link.csv.error.txt"])
        let why = try String(contentsOfFile: root.appendingPathComponent("failed/link.csv.error.txt").path, encoding: .utf8)
        #expect(why.contains("symbolic link"), "\(why)")
        #expect(try cli.sql("SELECT count(*) FROM runs") == "0", "nothing was run")
    }

    @Test("item 10: the same content dropped again later is a new request: a new run, never filed as already run")
    func spoolSameContentAgain() throws {
        let cli = try Self.loaded()
        let root = try Self.spool(cli)
        let content = "request_id,action,target\nr-1,lock,d-0001\n"
        try content.write(toFile: root.appendingPathComponent("incoming/a.csv").path, atomically: false, encoding: .utf8)
        #expect(try cli.run(["run-spool", root.path, "--quiet"]).status == 0)
        try content.write(toFile: root.appendingPathComponent("incoming/b.csv").path, atomically: false, encoding: .utf8)
        let again = try cli.run(["run-spool", root.path])
        #expect(!again.stderr.contains("already run"), "\(again.stderr)")
        #expect(try cli.sql("SELECT count(*) FROM runs") == "2", "a new run, as run would make")
    }

    @Test("item 10: outputs never overwrite: a file named like another's report, and a batch name filed twice")
    func spoolNeverOverwrites() throws {
        let cli = try Self.loaded()
        let root = try Self.spool(cli)
        let incoming = root.appendingPathComponent("incoming")
        try "request_id,action,target\nr-1,lock,d-0001\n".write(toFile: incoming.appendingPathComponent("a.csv").path, atomically: false, encoding: .utf8)
        // a batch in its own right, named like a.csv's report
        try "request_id,action,target\nr-9,lock,d-0003\n".write(toFile: incoming.appendingPathComponent("a.csv.report.json").path,
                                                                atomically: false, encoding: .utf8)
        _ = try cli.run(["run-spool", root.path, "--quiet"])
        let runID = try cli.sql("SELECT id FROM runs WHERE batch_name LIKE '%a.csv'")
        let report = try String(contentsOfFile: root.appendingPathComponent("done/a.csv.report.json").path, encoding: .utf8)
        #expect(report.contains(runID), "a.csv's report is still its own")
        // the same name again later: filed beside the first, not over it
        try "request_id,action,target\nr-2,lock,d-0003\n".write(toFile: incoming.appendingPathComponent("a.csv").path, atomically: false, encoding: .utf8)
        #expect(try cli.run(["run-spool", root.path, "--quiet"]).status == 0)
        let done = Self.listing(root.appendingPathComponent("done"))
        #expect(done.count == 6, "three batches and their three reports: \(done)")
        #expect(try String(contentsOfFile: root.appendingPathComponent("done/a.csv").path, encoding: .utf8).contains("r-1"))
        #expect(try String(contentsOfFile: root.appendingPathComponent("done/a.csv.report.json").path, encoding: .utf8) == report)
    }

    @Test("item 10: NAME.error.txt names where a batch is malformed and quotes nothing from it")
    func spoolErrorQuotesNothing() throws {
        let cli = try Self.loaded()
        let root = try Self.spool(cli)
        try "root:$6$SECRETHASH:19000:0:99999:7:::\nmore\n".write(toFile: root.appendingPathComponent("incoming/shadow.csv").path,
                                                                 atomically: false, encoding: .utf8)
        #expect(try cli.run(["run-spool", root.path, "--quiet"]).status == 1)
        let why = try String(contentsOfFile: root.appendingPathComponent("failed/shadow.csv.error.txt").path, encoding: .utf8)
        #expect(why.hasPrefix("shadow.csv:"), "\(why)")
        #expect(!why.contains("SECRETHASH") && !why.contains("root"), "\(why)")
    }

    // MARK: 11. smaller

    @Test("item 11: a 500 or a 429 from the token endpoint is asked again like any transient answer: the run finishes",
          arguments: [500, 429])
    func transientSignIn(status: Int) async throws {
        let cli = try Self.loaded()
        let server = try Self.acceptingGraph { number in
            number == 1 ? .answer(status: status, headers: ["Retry-After: 1"], body: Array(#"{"error":"temporarily_unavailable"}"#.utf8))
                : .token()
        }
        defer { server.stop() }
        let batch = try cli.write("b.csv", "request_id,action,target\nr-1,lock,d-0001\n")
        let result = try await cli.mdm(["run", batch, "--rate", "off"] + server.flags, environment: Self.environment)
        #expect(result.status == 0, "\(result)")
        #expect(server.tokenRequests == 2)
        #expect(try await cli.dispatchStates() == ["succeeded": 1])
    }

    /// Runs `batch` (CSV text) over Graph against an authority that refuses every sign-in;
    /// returns the result and how many sign-ins were asked for.
    static func runRefusingSignIn(_ batch: String) async throws -> (result: CLIHarness.Result, signIns: Int) {
        let cli = try Self.loaded()
        let server = try ScriptedHTTPServer { _, _ in .json(401, #"{"error":"invalid_client"}"#) }
        defer { server.stop() }
        let result = try await cli.mdm(["run", try cli.write("b.csv", batch)] + server.flags, environment: Self.environment)
        return (result, server.tokenRequests)
    }

    @Test("item 11: a run whose elements are all rejected does not sign in, and says what it did (1)")
    func allRejectedNoSignIn() async throws {
        let (result, signIns) = try await Self.runRefusingSignIn("request_id,action,target\nr-1,lock,d-0004\n")
        #expect(result.status == 1, "\(result)")
        #expect(signIns == 0)
        #expect(result.stdout.contains("rejected"), "\(result.stdout)")
    }

    @Test("item 11: a refused sign-in still prints the run's summary, then exits 77")
    func summaryWhenSignInFails() async throws {
        let (result, signIns) = try await Self.runRefusingSignIn("request_id,action,target\nr-1,lock,d-0004\nr-2,lock,d-0001\n")
        #expect(result.status == 77, "\(result)")
        #expect(signIns >= 1)
        #expect(result.stdout.contains("rejected") && result.stdout.contains("interrupted"), "\(result.stdout)")
    }

    @Test("item 11: import --from-graph accepts --transport graph, as DESIGN lists it")
    func importTransportGraph() async throws {
        let cli = try CLIHarness()
        let page = #"{"value":[{"id":"g-1","deviceName":"ok","operatingSystem":"iOS","osVersion":"17.2","managementAgent":"mdm"}]}"#
        let server = try ScriptedHTTPServer { request, _ in request.path.hasSuffix("/oauth2/v2.0/token") ? .token() : .json(200, page) }
        defer { server.stop() }
        let result = try await cli.mdm(["import", "devices", "--from-graph"] + server.flags, environment: Self.environment)
        #expect(result.status == 0, "\(result)")
        #expect(try await cli.query("SELECT device_id FROM devices") == "g-1")
    }

    @Test("item 11: the CSV audit export writes a raw ESC from requested_by escaped")
    func auditExportEscapesControls() throws {
        let cli = try Self.loaded()
        let batch = try cli.write("b.csv", "request_id,action,target,requested_by\nr-1,lock,d-0001,\u{1B}[31mmallory\n")
        #expect(try cli.run(["run", batch, "--quiet"]).status == 0)
        let out = cli.path("audit.csv")
        let result = try cli.run(["audit", "export", "--format", "csv", "--output", out])
        #expect(result.status == 0, "\(result)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(!bytes.contains(0x1B), "a raw ESC reached the file")
        #expect(String(decoding: bytes, as: UTF8.self).contains("\\x1b[31mmallory"))
    }

    @Test("item 11: run --help lists exit statuses 73, 77 and 78")
    func runHelpExitStatuses() throws {
        let cli = try CLIHarness()
        let help = try cli.run(["run", "--help"], db: false).stdout.replacingOccurrences(of: "\n", with: " ")
        for code in ["73", "77", "78"] { #expect(help.contains(" \(code) "), "\(code) missing") }
    }
}
