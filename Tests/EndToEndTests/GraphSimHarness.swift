import Foundation
import MDMBatchKit
import Testing

/// A `graph-sim` child process for the end-to-end tests of the Graph path: started on a
/// free loopback port with the two test apps (a client secret and the fixture
/// certificate), writing its journal into the test's temporary folder.
/// Owned by one test: `Process` is not Sendable, but only this test touches it, and every
/// blocking wait runs on a GCD thread (`offPool`), never on the cooperative pool.
final class GraphSim: @unchecked Sendable {
    static let tenant = "8f4b2d6e-3c1a-4e5f-9a7b-0d2c4e6f8a1b"
    static let secretApp = "11111111-1111-1111-1111-111111111111"
    static let certificateApp = "22222222-2222-2222-2222-222222222222"
    static let defaultSecret = "e2e~client.secret-for-graph-sim"
    static let fixtures = CLIHarness.packageRoot.appendingPathComponent("Tests/Fixtures")
    /// `$GRAPH_SIM_BIN`, else the build folder's `graph-sim` (built with the tests).
    static let binary = CLIHarness.product("graph-sim", variable: "GRAPH_SIM_BIN")

    let process = Process()
    let journal: String
    let secret: String
    /// `http://127.0.0.1:PORT`, from the first line on standard output.
    private(set) var url = ""
    private let stderrPath: String

    var graphURL: String { url + "/v1.0" }
    var port: Int { Int(url.split(separator: ":").last ?? "") ?? 0 }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// mdmbatch's flags to talk to this simulator.
    var flags: [String] { ["--transport", "graph", "--graph-url", graphURL, "--authority-url", url] }

    /// The environment that signs in as the secret app with `secret` (the simulator's own by default).
    func secretEnvironment(_ secret: String? = nil) -> [String: String] {
        ["MDMBATCH_TENANT_ID": Self.tenant, "MDMBATCH_CLIENT_ID": Self.secretApp,
         "MDMBATCH_CLIENT_SECRET": secret ?? self.secret, "MDMBATCH_CLIENT_CERTIFICATE": ""]
    }

    /// The environment that signs in as the certificate app with `pem` (cert and key, copied
    /// into `cli`'s folder with mode 0600).
    static func certificateEnvironment(_ cli: CLIHarness, pem: String = "graph-test-app.pem") throws -> [String: String] {
        let copy = cli.path("app-\(pem)")
        if !FileManager.default.fileExists(atPath: copy) {
            try FileManager.default.copyItem(atPath: fixtures.appendingPathComponent(pem).path, toPath: copy)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: copy)
        return ["MDMBATCH_TENANT_ID": tenant, "MDMBATCH_CLIENT_ID": certificateApp, "MDMBATCH_CLIENT_SECRET": "",
                "MDMBATCH_CLIENT_CERTIFICATE": copy]
    }

    /// No credentials at all, whatever the test process's environment holds.
    static let noCredentials = ["MDMBATCH_TENANT_ID": "", "MDMBATCH_CLIENT_ID": "", "MDMBATCH_CLIENT_SECRET": "",
                                "MDMBATCH_CLIENT_CERTIFICATE": ""]

    private init(journal: String, secret: String, stderrPath: String) {
        self.journal = journal
        self.secret = secret
        self.stderrPath = stderrPath
    }

    /// Starts `graph-sim --fleet FLEET ARGUMENTS` (no `--fleet` when nil: the arguments say
    /// `--fleet-size`) with both test apps, its journal at `journal` (default
    /// `sim-journal.jsonl` in `cli`'s folder; appended to when it exists); returns once it
    /// printed its URL.
    static func start(_ cli: CLIHarness, fleet: String?, _ arguments: [String] = [], secret: String = defaultSecret,
                      port: Int = 0, journal: String? = nil, name: String = "sim") async throws -> GraphSim {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw HarnessError("no graph-sim binary at \(binary.path): run swift build first, or set GRAPH_SIM_BIN")
        }
        let secretFile = try cli.write("\(name)-app-secret.txt", secret + "\n")
        let sim = GraphSim(journal: journal ?? cli.path("\(name)-journal.jsonl"), secret: secret, stderrPath: cli.path("\(name)-stderr.txt"))
        let all = (fleet.map { ["--fleet", $0] } ?? []) + ["--port", String(port), "--tenant", tenant, "--journal", sim.journal,
                   "--app", "\(secretApp):secret-file=\(secretFile)",
                   "--app", "\(certificateApp):certificate=\(fixtures.appendingPathComponent("graph-test-app.cert.pem").path)"]
            + arguments
        try await offPool { try sim.launch(all, in: cli.directory) }
        return sim
    }

    private func launch(_ arguments: [String], in directory: URL) throws {
        process.executableURL = Self.binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let out = Pipe()
        process.standardOutput = out
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try process.run()
        let handle = out.fileHandleForReading
        var buffer = Data()
        while !buffer.contains(0x0A) {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
        }
        let line = String(decoding: buffer.prefix { $0 != 0x0A }, as: UTF8.self)
        guard line.hasPrefix("listening on ") else {
            process.waitUntilExitPolling()
            throw HarnessError("graph-sim did not start (exit \(process.terminationStatus)): \(stderr)")
        }
        url = String(line.dropFirst("listening on ".count))
    }

    /// SIGTERM, then waits.
    func stop() async {
        guard process.isRunning else { return }
        process.terminate()
        await waitForExit(process)
    }

    /// Answers of 204 to action POSTs so far.
    var accepted: Int { lines(of: journal, containing: "\"status\":204") }

    /// SIGKILL the moment `condition` holds, from a thread of its own (a busy test process
    /// cannot make it late), then waits: the service vanishes at once, its open connections
    /// with it (a SIGTERM drains them first, and a client's keep-alive connection would still
    /// be served). False when `timeout` passed first.
    func crash(when condition: @escaping @Sendable () -> Bool, timeout: Double = 60) async -> Bool {
        let crashed = await kill(process, when: condition, timeout: timeout)
        await waitForExit(process)
        return crashed
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    // MARK: The journal

    /// The journal's lines, parsed.
    func entries() throws -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: journal, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
    }

    /// `type: request` lines, optionally only those whose path ends with `suffix`.
    func requests(endingWith suffix: String? = nil) throws -> [[String: Any]] {
        try entries().filter { entry in
            guard entry["type"] as? String == "request" else { return false }
            guard let suffix else { return true }
            return (entry["path"] as? String ?? "").hasSuffix(suffix)
        }
    }

    /// POSTs of remoteLock and resetPasscode.
    func actionRequests() throws -> [[String: Any]] {
        try requests().filter { ($0["method"] as? String) == "POST" && ($0["path"] as? String ?? "").contains("/managedDevices/") }
    }

    /// Requests to the token endpoint.
    func tokenRequests() throws -> [[String: Any]] { try requests(endingWith: "/oauth2/v2.0/token") }

    /// How many times each action took effect on each device: `[device: [action: count]]`.
    func effects() throws -> [String: [String: Int]] {
        var effects: [String: [String: Int]] = [:]
        for entry in try entries() where entry["type"] as? String == "effect" {
            effects[entry["device_id"] as! String, default: [:]][entry["action"] as! String, default: 0] += 1
        }
        return effects
    }

    /// Statuses answered to action POSTs, counted.
    func actionStatuses() throws -> [Int: Int] {
        try actionRequests().reduce(into: [:]) { $0[$1["status"] as? Int ?? -1, default: 0] += 1 }
    }
}

/// Runs a blocking body on a thread of its own, so that a test waiting for a process holds
/// none of the few threads of Swift's cooperative pool, nor of Dispatch's global queues (on
/// Linux their threads are as many as the cores, and a blocked one is not replaced: a test
/// waiting there would delay every other test's timers).
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// Kills `process` (SIGKILL) as soon as `condition` holds, checking every 5 ms on a thread of
/// its own (so that a busy test process cannot make the kill late); false when the process
/// ended first or `timeout` passed.
func kill(_ process: Process, when condition: @escaping @Sendable () -> Bool, timeout: Double = 60) async -> Bool {
    let box = UncheckedSendable(process)
    return (try? await offPool { () -> Bool in
        let deadline = Date().addingTimeInterval(timeout)
        while box.value.isRunning && Date() < deadline {
            if condition() {
                kill(box.value.processIdentifier, SIGKILL)
                return true
            }
            usleep(5_000)
        }
        return false
    }) ?? false
}

/// Lines of a file that contain `text` (0 when it does not exist yet).
/// Runs `arguments` (a `run` over `sim`) again and again, each one killed with SIGKILL once the
/// simulator has accepted a seeded number (in `more`) of further writes, until it was killed
/// `wanted` times (at most 16 tries). Each try writes its secrets to `kill-N.csv`.
func killRepeatedly(_ cli: CLIHarness, _ sim: GraphSim, _ arguments: [String], wanted: Int = 5, seed: UInt64,
                    more: ClosedRange<Int>, timeout: Double = 60) async throws -> (kills: Int, files: [String], exits: [Int32]) {
    var generator = SeededGenerator(seed: seed)
    var kills = 0
    var files: [String] = []
    var exits: [Int32] = []
    for attempt in 1...16 where kills < wanted {
        files.append("kill-\(attempt).csv")
        // killed once it sent some more: wherever a worker happens to be then
        let target = sim.accepted + Int.random(in: more, using: &generator)
        let process = try BackgroundRun.start(cli, arguments + ["--passcodes-out", cli.path("kill-\(attempt).csv")],
                                                environment: sim.secretEnvironment())
        if await kill(process, when: { sim.accepted >= target }, timeout: timeout) { kills += 1 }
        await waitForExit(process)
        exits.append(process.terminationStatus)
    }
    return (kills, files, exits)
}

func lines(of path: String, containing text: String) -> Int {
    guard let content = try? String(contentsOfFile: path, encoding: .utf8) else { return 0 }
    return content.split(separator: "\n").filter { $0.contains(text) }.count
}

/// Waits for a process to end, off the cooperative pool.
func waitForExit(_ process: Process) async {
    let box = UncheckedSendable(process)
    _ = try? await offPool { box.value.waitUntilExitPolling() }
}

/// A value handed to another thread that the sender no longer touches meanwhile.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

extension CLIHarness {
    /// `run` off the cooperative pool.
    func mdm(_ arguments: [String], stdin: String? = nil, db: Bool = true, environment: [String: String] = [:]) async throws -> Result {
        try await offPool { try self.run(arguments, stdin: stdin, db: db, environment: environment) }
    }

    /// `sql` off the cooperative pool.
    func query(_ text: String, json: Bool = false) async throws -> String {
        try await offPool { try self.sql(text, json: json) }
    }

    /// The only run's id.
    func runID() async throws -> String { try await query("SELECT id FROM runs ORDER BY started_at DESC LIMIT 1") }

    /// `state|count` of the dispatches, as a dictionary.
    func dispatchStates() async throws -> [String: Int] {
        let text = try await query("SELECT state, count(*) FROM dispatches GROUP BY state")
        return text.split(separator: "\n").reduce(into: [:]) { counts, line in
            let parts = line.split(separator: "|")
            counts[String(parts[0])] = Int(parts[1])
        }
    }

    /// The rows of a secrets file (header left out), each as its six fields.
    func secrets(_ name: String) throws -> [[String]] {
        guard let text = try? String(contentsOfFile: path(name), encoding: .utf8) else { return [] }
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "device_id,request_id,line,action,kind,secret", "\(name): \(lines.first ?? "empty")")
        return lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }
}

/// Fleets and batches for the Graph tests: one file both mdmbatch imports and `graph-sim`
/// serves, so that both sides know the same devices.
enum GraphFleet {
    static let header = "device_id,device_name,platform,os_version,management,primary_user_upn,enrolled_by_upn,passcode_set,enrollment\n"

    struct Device {
        var id: String
        var platform: String
        var version: String
        var enrollment = ""
        var action: String

        /// An iPhone to lock: accepted under both rule sets, no secret.
        static func iPhone(_ id: String) -> Device { Device(id: id, platform: "iOS", version: "17.2", action: "lock") }
        /// An Android 6 phone to reset (intune-2017: a temporary passcode; the service makes one).
        static func android6(_ id: String) -> Device { Device(id: id, platform: "Android", version: "6.0.1", action: "reset_passcode") }
        /// An iPhone to reset: no secret.
        static func iPhoneReset(_ id: String) -> Device { Device(id: id, platform: "iOS", version: "17.2", action: "reset_passcode") }
    }

    /// `count` devices: every other one an iPhone to lock, the rest Android 6 phones to reset.
    static func mixed(_ count: Int, prefix: String = "g") -> [Device] {
        (0..<count).map { $0 % 2 == 0 ? .iPhone("\(prefix)-\($0)") : .android6("\(prefix)-\($0)") }
    }

    /// Writes the devices (`devices.csv`, imported into `cli`'s database unless `importing` is
    /// false) and a batch of one request per device (`batch.csv`, request ids `r-<device>`).
    /// Returns the paths of the fleet file and the batch.
    @discardableResult
    static func prepare(_ cli: CLIHarness, _ devices: [Device], serviceOnly: [Device] = [], mdmbatchOnly: [Device] = [],
                        batchName: String = "batch.csv") async throws -> (fleet: String, batch: String) {
        func rows(_ list: [Device]) -> String {
            list.map { "\($0.id),\($0.id) name,\($0.platform),\($0.version),mdm,u-\($0.id)@contoso.com,u-\($0.id)@contoso.com,true,\($0.enrollment)\n" }
                .joined()
        }
        let fleet = try cli.write("sim-devices.csv", header + rows(devices + serviceOnly))
        let known = try cli.write("devices.csv", header + rows(devices + mdmbatchOnly))
        let imported = try await cli.mdm(["import", "devices", known, "--quiet"])
        #expect(imported.status == 0, "\(imported)")
        let batch = try cli.write(batchName, "request_id,action,target,reason,ticket\n"
            + (devices + mdmbatchOnly).map { "r-\($0.id),\($0.action),\($0.id),lost device,INC-\($0.id)\n" }.joined())
        return (fleet, batch)
    }
}
