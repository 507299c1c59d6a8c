import Foundation
import Testing
@testable import MDMBatchKit

/// The structure the code keeps (DESIGN.md, "Structure: the Store owns the SQL"), checked on
/// the source tree so that it cannot quietly erode.
@Suite("Structure: the Store owns the SQL, the command line never sees the database, the simulator stands on its own")
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
        for (path, text) in try Self.swiftFiles() where path.hasPrefix("MDMBatchKit/") || path.hasPrefix("MDMBatchShared/") {
            #expect(!text.contains("ProcessInfo.processInfo.environment"), "\(path) reads the environment")
            #expect(text.range(of: #"(?<![A-Za-z_.])print\("#, options: .regularExpression) == nil, "\(path) prints")
            #expect(!text.contains("FileHandle.standardError"), "\(path) writes to stderr")
            #expect(text.range(of: #"(?<![A-Za-z_.])exit\("#, options: .regularExpression) == nil, "\(path) exits")
        }
        let store = try String(contentsOf: Self.sources.appendingPathComponent("MDMBatchKit/Store/AppDatabase.swift"), encoding: .utf8)
        #expect(store.contains("private let writer"), "AppDatabase's writer is private")
    }

    @Test("the kit reads time and makes ids only through its injected clock and ids: no Date() or UUID() but in SystemClock and SystemIdentifiers")
    func timeAndIdsInjected() throws {
        let system = ["MDMBatchKit/Common/Clock.swift", "MDMBatchKit/Engine/RunDependencies.swift"]
        for (path, text) in try Self.swiftFiles() where (path.hasPrefix("MDMBatchKit/") || path.hasPrefix("MDMBatchShared/"))
            && !system.contains(path) {
            #expect(text.range(of: #"(?<![A-Za-z_.])(Date|UUID)\(\)"#, options: .regularExpression) == nil, "\(path) reads the time or makes an id itself")
        }
    }

    @Test("audit events are named once (AuditEventKind) and built in Audit/: no event name in SQL or elsewhere")
    func auditEventsTyped() throws {
        for (path, text) in try Self.swiftFiles() where path.hasPrefix("MDMBatchKit/") {
            #expect(text.range(of: #"event\s*(=|IN|!=)\s*\(?'"#, options: .regularExpression) == nil, "\(path): an event name in SQL")
            guard !path.hasPrefix("MDMBatchKit/Audit/") else { continue }
            #expect(text.range(of: #"["'](dispatch_(sending|attempt|settled|recovered|unsent)|run_(started|planned|resumed|reopened|finished|interrupted))["']"#, options: .regularExpression) == nil,
                    "\(path): an event name outside Audit/")
            #expect(text.range(of: #"AuditEvent\((event:|\.[a-z])"#, options: .regularExpression) == nil,
                    "\(path) builds an audit event (they are built in Audit/)")
        }
    }

    @Test("the Store gathers facts; already_done, unknown_earlier and unlock_pin_outstanding are decided in Rules/")
    func rulesDecide() throws {
        for (path, text) in try Self.swiftFiles() where path.hasPrefix("MDMBatchKit/Store/") {
            for reason in ["already_done", "unknown_earlier", "unlock_pin_outstanding", ".alreadyDone", ".unknownEarlier",
                           ".unlockPINOutstanding", "ReasonCode("] {
                #expect(!text.contains(reason), "\(path) decides \(reason)")
            }
        }
    }

    /// The modules the simulator and the shared module must not use: the kit, its database
    /// and its HTTP client (issue 24: the simulator stands on its own).
    static let kitOnly = ["MDMBatchKit", "GRDB", "GRDBSQLite", "CSQLiteSettings", "AsyncHTTPClient"]

    @Test("graph-sim and its library import neither MDMBatchKit, GRDB nor AsyncHTTPClient; the shared module not even NIO")
    func simulatorStandsAlone() throws {
        let files = try Self.swiftFiles()
        let simulator = files.filter { $0.path.hasPrefix("GraphSimulator/") || $0.path.hasPrefix("graph-sim/") }
        #expect(simulator.count > 10, "the simulator's sources were found")
        let shared = files.filter { $0.path.hasPrefix("MDMBatchShared/") }
        for (path, text) in simulator + shared {
            let forbidden = Self.kitOnly + (path.hasPrefix("MDMBatchShared/") ? ["NIO", "NIOCore", "NIOPosix", "Hummingbird"] : [])
            for module in forbidden {
                let pattern = #"(?m)^\s*(@\w+\s+)*import\s+(\w+\s+)?"# + module + #"(\.\w+)*\s*$"#
                #expect(text.range(of: pattern, options: .regularExpression) == nil, "\(path) imports \(module)")
            }
        }
    }

    @Test("Package.swift: GraphSimulator, graph-sim and MDMBatchShared do not depend on MDMBatchKit, GRDB or AsyncHTTPClient")
    func simulatorTargetsStandAlone() throws {
        let manifest = try String(contentsOf: Self.sources.deletingLastPathComponent().appendingPathComponent("Package.swift"),
                                  encoding: .utf8)
        let targets = manifest[try #require(manifest.range(of: "\n    targets: [")).upperBound...]
        for target in ["GraphSimulator", "graph-sim", "MDMBatchShared"] {
            let start = try #require(targets.range(of: "name: \"\(target)\""), "the target \(target) is declared")
            let rest = targets[start.upperBound...]
            let end = ["\n        .target(", "\n        .executableTarget(", "\n        .testTarget(", "\n    ]"]
                .compactMap { rest.range(of: $0)?.lowerBound }.min() ?? rest.endIndex
            let declaration = rest[..<end]
            for module in ["\"MDMBatchKit\"", "\"GRDB\"", "\"GRDBSQLite\"", "\"CSQLiteSettings\"", "\"AsyncHTTPClient\""] {
                #expect(!declaration.contains(module), "\(target) depends on \(module)")
            }
        }
    }

    /// The names the reports print for states, verdicts, reasons and device states: what a
    /// renderer would compare against if it switched on strings instead of on the enums.
    static let domainNames: [String] = DispatchState.allCases.map(\.rawValue) + PlanVerdict.allCases.map(\.rawValue)
        + ReasonCode.allCases.map(\.rawValue) + DeviceActionState.allCases.map(\.rawValue)
        + [RunSummary.name(of: nil as DeviceActionState?), RunSummary.name(of: nil as PlatformResolution?)]

    /// What in `text` compares a domain name as a string: `== "failed"`, `"done" !=`, `case "skipped"`,
    /// a subscript or dictionary key `["rejected"]`, `["accepted": 2]`, or a comparison of raw values.
    static func stringComparisons(in text: String) -> [String] {
        let literal = "\"(" + domainNames.map(NSRegularExpression.escapedPattern(for:)).joined(separator: "|") + ")\""
        let patterns = [#"(==|!=)\s*"# + literal, #"(?<!\\)"# + literal + #"\s*(==|!=)"#, #"\bcase\s+"# + literal,
                        #"\[\s*"# + literal + #"\s*[\]:]"#, #"\.rawValue\s*(==|!=)"#, #"(==|!=)\s*[\w.?]*\.rawValue\b"#]
        return patterns.flatMap { pattern in
            let regex = try! NSRegularExpression(pattern: pattern)
            return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { String(text[Range($0.range, in: text)!]) }
        }
    }

    /// The body of the type `name` declared in `text`: from its declaration to the first closing
    /// brace at the start of a line.
    static func body(of name: String, in text: String) -> String? {
        guard let start = text.range(of: #"(struct|enum|class) "# + name + #"\b"#, options: .regularExpression),
              let end = text.range(of: "\n}", range: start.upperBound..<text.endIndex) else { return nil }
        return String(text[start.lowerBound..<end.upperBound])
    }

    @Test("the renderers of Report/ switch on the enums: no state, verdict or reason compared as a string literal")
    func renderersSwitchOnEnums() throws {
        let reports = try Self.swiftFiles().filter { $0.path.hasPrefix("MDMBatchKit/Report/") }
        #expect(reports.count >= 10, "the report files were found")
        for (path, text) in reports {
            #expect(Self.stringComparisons(in: text).isEmpty, "\(path) compares \(Self.stringComparisons(in: text))")
        }
        // the check finds what it is there for
        #expect(Self.stringComparisons(in: #"if state.rawValue == "failed" {} ; switch name { case "skipped": 1 }"#).count == 3)
        #expect(Self.stringComparisons(in: #"["rejected": 0, "accepted": 2][verdict] ; counts["not_confirmed"] ; "done" != x"#).count == 3)
        #expect(Self.stringComparisons(in: #"write("\"rejected\": 1") ; label: "elements""#).isEmpty)
    }

    @Test("the report models are typed: RunSummary keys no dictionary by String and keeps no string sentinel; ReportElement holds no PlanItem")
    func reportModelsAreTyped() throws {
        let files = try Self.swiftFiles()
        let summary = try #require(files.first { $0.path == "MDMBatchKit/Report/RunSummary.swift" }.flatMap { Self.body(of: "RunSummary", in: $0.text) })
        #expect(summary.contains("byPlatform") && summary.contains("byDeviceState"), "RunSummary was found")
        #expect(summary.range(of: #"\[\s*String\s*:|Dictionary\s*<\s*String\s*,"#, options: .regularExpression) == nil,
                "RunSummary keys a dictionary by String")
        #expect(summary.range(of: #"static let \w+(\s*:\s*String)?\s*=\s*""#, options: .regularExpression) == nil,
                "RunSummary keeps a string sentinel")
        let element = try #require(files.first { $0.path == "MDMBatchKit/Report/ReportElement.swift" }.flatMap { Self.body(of: "ReportElement", in: $0.text) })
        #expect(!element.contains("PlanItem"), "ReportElement holds a PlanItem")
    }

    @Test("a dispatches row is decoded in one place, DispatchRecord; the Store's public API shows no GRDB type")
    func dispatchRowDecodedOnce() throws {
        for (path, text) in try Self.swiftFiles() where path != "MDMBatchKit/Store/DispatchRecord.swift" {
            for column in ["secret_delivered_at", "device_state_at", "first_sent_at", "uncounted_attempts", "service_request_id"] {
                #expect(!text.contains("row[\"\(column)\"]"), "\(path) decodes \(column) of a dispatches row")
            }
        }
        for (path, text) in try Self.swiftFiles() where path.hasPrefix("MDMBatchKit/Store/") {
            for line in text.split(separator: "\n") where line.contains("public func") || line.contains("public var") {
                #expect(line.range(of: #"\b(Database|Row|DatabaseQueue|DatabasePool|DatabaseWriter|Statement)\b"#,
                                   options: .regularExpression) == nil, "\(path): \(line)")
            }
        }
    }
}
