import Foundation
import Testing

/// The structure the code keeps (DESIGN.md, "Structure: the Store owns the SQL"), checked on
/// the source tree so that it cannot quietly erode.
@Suite("Structure: the Store owns the SQL, the command line never sees the database")
struct StructureTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    /// Every Swift file under `Sources/`, with its path relative to it.
    static func swiftFiles() throws -> [(path: String, text: String)] {
        let enumerator = FileManager.default.enumerator(atPath: sources.path)!
        var files: [(String, String)] = []
        while let path = enumerator.nextObject() as? String {
            guard path.hasSuffix(".swift") else { continue }
            files.append((path, try String(contentsOf: sources.appendingPathComponent(path), encoding: .utf8)))
        }
        #expect(files.count > 50, "the source tree was found")
        return files
    }

    @Test("no SQL outside Store/: no SELECT, INSERT or UPDATE anywhere else in Sources")
    func sqlLivesInStore() throws {
        for (path, text) in try Self.swiftFiles() where !path.hasPrefix("MDMBatchKit/Store/") {
            for keyword in ["SELECT", "INSERT", "UPDATE"] {
                #expect(!text.contains(keyword), "\(path) holds \(keyword)")
            }
        }
    }

    @Test("GRDB is imported by Store/ only; the command line does not import it")
    func grdbStaysInStore() throws {
        for (path, text) in try Self.swiftFiles() where !path.hasPrefix("MDMBatchKit/Store/") {
            #expect(!text.contains("import GRDB"), "\(path) imports GRDB")
        }
    }

    @Test("the command line only parses and prints: no exit status but in ExitStatus.swift, no HTTP client, no GRDB")
    func commandLineOnlyParsesAndPrints() throws {
        let files = try Self.swiftFiles().filter { $0.path.hasPrefix("mdmbatch/") }
        #expect(files.contains { $0.path == "mdmbatch/ExitStatus.swift" }, "the command line's files were found")
        for (path, text) in files {
            if path != "mdmbatch/ExitStatus.swift" {
                #expect(!text.contains("ExitCode"), "\(path) makes an exit status: return a CommandResult, ExitStatus maps it")
            }
            for module in ["AsyncHTTPClient", "GRDB"] {
                #expect(!text.contains("import \(module)"), "\(path) imports \(module)")
            }
        }
    }

    @Test("the kit reads no environment, prints nothing and keeps no global signer")
    func kitHasNoGlobals() throws {
        for (path, text) in try Self.swiftFiles() where path.hasPrefix("MDMBatchKit/") {
            #expect(!text.contains("ProcessInfo.processInfo.environment"), "\(path) reads the environment")
            #expect(text.range(of: #"(?<![A-Za-z_.])print\("#, options: .regularExpression) == nil, "\(path) prints")
            #expect(!text.contains("FileHandle.standardError"), "\(path) writes to stderr")
            #expect(text.range(of: #"(?<![A-Za-z_.])exit\("#, options: .regularExpression) == nil, "\(path) exits")
        }
        let store = try String(contentsOf: Self.sources.appendingPathComponent("MDMBatchKit/Store/AppDatabase.swift"), encoding: .utf8)
        #expect(store.contains("private let writer"), "AppDatabase's writer is private")
    }
}
