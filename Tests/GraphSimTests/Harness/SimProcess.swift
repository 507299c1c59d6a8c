import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A `graph-sim` child process on a free port, in a temporary directory of its own.
/// Owned by one test: `Process` is not Sendable, but only this test touches it, and the
/// termination wait runs on its own queue.
final class SimProcess: SimClient, @unchecked Sendable {
    static let tenant = "8f4b2d6e-3c1a-4e5f-9a7b-0d2c4e6f8a1b"
    static let secretApp = "11111111-1111-1111-1111-111111111111"
    static let certificateApp = "22222222-2222-2222-2222-222222222222"
    static let secret = "s3cret-value~for.tests"

    /// `$GRAPH_SIM_BIN`, else the binary in the build folder of this checkout, where `swift
    /// build` put the test bundle. Never searched for upwards, so that a stale binary of
    /// another checkout is never picked.
    static let binary: URL = {
        if let path = ProcessInfo.processInfo.environment["GRAPH_SIM_BIN"], !path.isEmpty { return URL(fileURLWithPath: path) }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        if let index = bundle.pathComponents.lastIndex(where: { $0.hasSuffix(".xctest") }) {
            return URL(fileURLWithPath: NSString.path(withComponents: Array(bundle.pathComponents[..<index]) + ["graph-sim"]))
        }
        return packageRoot.appendingPathComponent(".build/debug/graph-sim")
    }()

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")

    let directory: URL
    let process = Process()
    /// `http://127.0.0.1:PORT`, from the first line on standard output.
    private(set) var url = ""
    private(set) var firstLine = ""

    var journal: URL { directory.appendingPathComponent("journal.jsonl") }
    var stderr: String { (try? String(contentsOf: directory.appendingPathComponent("stderr.txt"), encoding: .utf8)) ?? "" }
    var tokenURL: String { "\(url)/\(Self.tenant)/oauth2/v2.0/token" }

    init() throws {
        directory = try newTemporaryDirectory()
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try Data(text.utf8).write(to: directory.appendingPathComponent(name))
        return path(name)
    }

    /// Starts `graph-sim` with the test apps, a journal, `--tenant`, and `arguments`
    /// (a fleet among them, or `TestFleet.csv` is used); returns once it printed its URL.
    static func start(_ arguments: [String], fleet: String? = TestFleet.csv, apps: Bool = true) async throws -> SimProcess {
        let sim = try SimProcess()
        var all = ["--port", "0", "--tenant", tenant, "--journal", sim.journal.path]
        if let fleet, !arguments.contains("--fleet"), !arguments.contains("--fleet-size") {
            all += ["--fleet", try sim.write("devices.csv", fleet)]
        }
        if apps {
            let secretFile = try sim.write("secret.txt", secret + "\n")
            all += ["--app", "\(secretApp):secret-file=\(secretFile)",
                    "--app", "\(certificateApp):certificate=\(fixtures.appendingPathComponent("graph-test-app.cert.pem").path)"]
        }
        try await sim.launchOffPool(all + arguments)
        return sim
    }

    /// Launches with `arguments` and waits for the URL line: a blocking read, off the cooperative pool.
    func launchOffPool(_ arguments: [String]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global().async {
                do {
                    try self.launch(arguments)
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    func launch(_ arguments: [String]) throws {
        process.executableURL = Self.binary
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        _ = FileManager.default.createFile(atPath: path("stderr.txt"), contents: nil)
        process.standardError = try FileHandle(forWritingTo: directory.appendingPathComponent("stderr.txt"))
        try process.run()
        let handle = out.fileHandleForReading
        var buffer = Data()
        while !buffer.contains(0x0A) {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
        }
        firstLine = String(decoding: buffer.prefix { $0 != 0x0A }, as: UTF8.self)
        guard firstLine.hasPrefix("listening on ") else {
            process.waitUntilExitPolling()
            throw SimError.didNotStart(status: process.terminationStatus, stderr: stderr)
        }
        url = String(firstLine.dropFirst("listening on ".count))
    }

    /// Runs `graph-sim ARGUMENTS` to its end (for refusals at start-up).
    static func runToEnd(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let sim = try SimProcess()
        sim.process.executableURL = binary
        sim.process.arguments = arguments
        let out = Pipe(), err = Pipe()
        sim.process.standardOutput = out
        sim.process.standardError = err
        try sim.process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        sim.process.waitUntilExitPolling()
        try? out.fileHandleForReading.close()  // now, not whenever Foundation lets go of the Process
        try? err.fileHandleForReading.close()
        return (sim.process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    /// SIGTERM, then waits; the exit status.
    @discardableResult
    func stop() async -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()
        let process = self.process
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.waitUntilExitPolling()
                continuation.resume(returning: process.terminationStatus)
            }
        }
    }

    // MARK: HTTP

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: String

        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }
        /// `error.code` of a Graph error.
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
        var errorMessage: String? { (json["error"] as? [String: Any])?["message"] as? String }
    }

    func send(_ method: HTTPMethod, _ pathOrURL: String, token: String? = nil, headers: [(String, String)] = [],
              body: String? = nil, timeout: TimeAmount = .seconds(10), client: HTTPClient = .shared) async throws -> Answer {
        var request = HTTPClientRequest(url: pathOrURL.hasPrefix("http") ? pathOrURL : url + pathOrURL)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: body))
        }
        do {
            return try await Self.answer(client.execute(request, timeout: timeout), within: timeout)
        } catch where method == .GET {
            // Each test's simulator listens on a port of the moment, which a later test's simulator
            // may get again; the shared client's pool can then hand out a connection to the one
            // that has gone ("I/O on closed channel", once in CI). A read is asked once more, on a
            // connection of its own; an action never is.
            request.headers.replaceOrAdd(name: "Connection", value: "close")
            return try await Self.answer(client.execute(request, timeout: timeout), within: timeout)
        }
    }

    /// The whole answer within `timeout`: async-http-client's timeout ends with the head, and
    /// a slow answer may send its head first.
    private static func answer(_ response: HTTPClientResponse, within timeout: TimeAmount) async throws -> Answer {
        let bytes = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask { try await response.body.collect(upTo: 64 << 20) }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(max(0, timeout.nanoseconds)))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let bytes = first else { throw HTTPClientError.deadlineExceeded }
            return bytes
        }
        return Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }

    func get(_ path: String, token: String?) async throws -> Answer {
        try await send(.GET, path, token: token)
    }

    func post(_ path: String, token: String?, clientRequestID: String = UUID().uuidString) async throws -> Answer {
        try await send(.POST, path, token: token, headers: [("client-request-id", clientRequestID)])
    }

    /// POSTs a form (the token endpoint's body) to `url`.
    func postForm(_ url: String, _ body: String) async throws -> Answer {
        try await send(.POST, url, body: body)
    }
}

enum SimError: Error, CustomStringConvertible {
    case didNotStart(status: Int32, stderr: String)
    case noToken(String)

    var description: String {
        switch self {
        case .didNotStart(let status, let stderr): "graph-sim did not start (exit \(status)): \(stderr)"
        case .noToken(let body): "no token: \(body)"
        }
    }
}

/// Starts a simulator, runs `body` against it, and stops it whatever happens.
func withSim<T>(_ arguments: [String] = [], fleet: String? = TestFleet.csv,
                _ body: (SimProcess) async throws -> T) async throws -> T {
    let sim = try await SimProcess.start(arguments, fleet: fleet)
    do {
        let result = try await body(sim)
        await sim.stop()
        return result
    } catch {
        await sim.stop()
        throw error
    }
}

/// The folder of this test process's simulator files, removed at exit.
let simTestRoot: URL = {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("graph-sim-tests-\(getpid())")
    atexit { try? FileManager.default.removeItem(at: simTestRoot) }
    return url
}()

/// A new empty directory under `simTestRoot`.
func newTemporaryDirectory() throws -> URL {
    let directory = simTestRoot.appendingPathComponent(UUID().uuidString)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}

/// A file of its own temporary directory.
func temporaryFile(_ name: String, _ text: String) throws -> String {
    let url = try newTemporaryDirectory().appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
}

extension Process {
    /// Waits for the process to end. Foundation's `waitUntilExit` spins on Linux (it runs an
    /// empty run loop over and over, 100 % of a core for as long as it waits): a few at once
    /// starved a 2-core machine and made timing tests fail. `isRunning` is updated by
    /// Foundation's SIGCHLD handler, so polling it gently is enough.
    func waitUntilExitPolling() {
        while isRunning { usleep(2_000) }
    }
}
