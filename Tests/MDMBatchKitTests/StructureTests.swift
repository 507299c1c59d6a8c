import Foundation
import Testing
@testable import MDMBatchKit

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
        let summary = try #require(files.first { $0.path == "MDMBatchKit/Report/RunReport.swift" }.flatMap { Self.body(of: "RunSummary", in: $0.text) })
        #expect(summary.contains("byPlatform") && summary.contains("byDeviceState"), "RunSummary was found")
        #expect(summary.range(of: #"\[\s*String\s*:|Dictionary\s*<\s*String\s*,"#, options: .regularExpression) == nil,
                "RunSummary keys a dictionary by String")
        #expect(summary.range(of: #"static let \w+(\s*:\s*String)?\s*=\s*""#, options: .regularExpression) == nil,
                "RunSummary keeps a string sentinel")
        let element = try #require(files.first { $0.path == "MDMBatchKit/Report/RunReport.swift" }.flatMap { Self.body(of: "ReportElement", in: $0.text) })
        #expect(!element.contains("PlanItem"), "ReportElement holds a PlanItem")
    }
}
