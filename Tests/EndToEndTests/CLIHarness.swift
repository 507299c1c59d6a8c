import Foundation
import Testing

/// Runs the built `mdmbatch` binary in a temporary directory, removed when the harness goes.
final class CLIHarness: @unchecked Sendable {
    // @unchecked: every property is a constant.
    struct Result: CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String
        var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
    }

    /// The build folder of this checkout: where `swift build` put the test bundle, and
    /// the binaries beside it. Never searched for upwards, so that a stale binary of
    /// another checkout is never picked.
    static let buildFolder: URL = {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        if let index = bundle.pathComponents.lastIndex(where: { $0.hasSuffix(".xctest") }) {
            return URL(fileURLWithPath: NSString.path(withComponents: Array(bundle.pathComponents[..<index])))
        }
        return packageRoot.appendingPathComponent(".build/debug")
    }()

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A product of this checkout: `$ENVIRONMENT_VARIABLE`, else the build folder's.
    static func product(_ name: String, variable: String) -> URL {
        if let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty { return URL(fileURLWithPath: path) }
        return buildFolder.appendingPathComponent(name)
    }

    /// `$MDMBATCH_BIN`, else the build folder's `mdmbatch`.
    static let binary = product("mdmbatch", variable: "MDMBATCH_BIN")

    static let samples = packageRoot.appendingPathComponent("samples")

    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mdmbatch-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            throw HarnessError("no mdmbatch binary at \(Self.binary.path): run swift build first, or set MDMBATCH_BIN")
        }
    }

    deinit {
        // a test may have made the folder read-only
        _ = chmod(directory.path, 0o755)
        try? FileManager.default.removeItem(at: directory)
    }

    var database: String { directory.appendingPathComponent("mdmbatch.sqlite").path }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func sample(_ name: String) -> String { Self.samples.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try Data(text.utf8).write(to: directory.appendingPathComponent(name))
        return path(name)
    }

    /// Runs `mdmbatch ARGS --db <temp db>` (unless `db` is false) and waits.
    func run(_ arguments: [String], stdin: String? = nil, db: Bool = true, environment: [String: String] = [:]) throws -> Result {
        try Self.execute(Self.binary, arguments + (db ? ["--db", database] : []), in: directory, stdin: stdin, environment: environment)
    }

    /// Runs a program and waits, reading both pipes to the end so that a large output cannot block it.
    static func execute(_ program: URL, _ arguments: [String], in directory: URL, stdin: String? = nil,
                        environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "MDMBATCH_DB")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { try writeAll(Data(stdin.utf8), to: input.fileHandleForWriting) }
        try input.fileHandleForWriting.close()
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExitPolling()
        // Closed here, not when Foundation lets go of the Process (which may be never): a test
        // run makes thousands of these, and with 2,000 pipes open Foundation's Process.run
        // crashed reading /proc/self/fd (a dirent copied past the end of its buffer).
        try? out.fileHandleForReading.close()
        try? err.fileHandleForReading.close()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Writes all of `data`, again after a signal interrupts the write: FileHandle's own
    /// `write(_:)` traps on EINTR, which the SIGCHLD of this process's many children can cause.
    static func writeAll(_ data: Data, to handle: FileHandle) throws {
        try data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(handle.fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw HarnessError("writing to a child's standard input: \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
    }

    /// The output of `sqlite3 [-json] DB SQL`; throws when sqlite3 fails, so that a broken
    /// query can never read as an empty answer.
    func sql(_ query: String, json: Bool = false) throws -> String {
        let result = try Self.execute(URL(fileURLWithPath: "/usr/bin/env"), ["sqlite3", "-bail"] + (json ? ["-json"] : [])
                                      + [database, query], in: directory)
        guard result.status == 0, !result.stderr.contains("Error") else {
            throw HarnessError("sqlite3 failed (exit \(result.status)) on \(query): \(result.stderr)")
        }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Programs some tests need that a machine may lack. Without one the test is skipped with
/// the reason printed; with MDMBATCH_REQUIRE_ALL=1 (CI) it runs and fails instead.
enum OptionalProgram {
    static var requireAll: Bool { ProcessInfo.processInfo.environment["MDMBATCH_REQUIRE_ALL"] == "1" }

    /// The first of `candidates` that exists and runs.
    static func find(_ candidates: [String]) -> String? {
        candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static let chromium = find(["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"])
    static let script = find(["/usr/bin/script"])
    static let setpriv = find(["/usr/bin/setpriv"])

    /// The trait of a test that needs `program`.
    static func needs(_ program: String?, _ name: String, install: String) -> ConditionTrait {
        .enabled(if: program != nil || requireAll, "\(name) is not installed (\(install)); MDMBATCH_REQUIRE_ALL=1 makes this a failure")
    }
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
