import Foundation
import GRDB
import Testing
@testable import MDMBatchKit

/// The importer writes rows in groups of `UpsertWriter.groupSize`, one statement each, and
/// a group that fails again row by row. These files are long enough to span many groups and
/// put each kind of problem inside a group, on its first and last row, across a boundary
/// and after a pending duplicate; a plain model of "one row at a time" says what must come out.
@Suite("Inventory import in groups of rows")
struct ImportGroupTests {
    static let group = UpsertWriter<DeviceSchema>.groupSize

    /// One line of a file: a good device, a repeat of an earlier id, a bad value, or a
    /// line with the wrong number of fields.
    enum Line {
        case device(String, name: String)
        case badManagement(String)
        case shortLine(String)
    }

    /// 5 groups' worth of lines with problems at chosen places (line numbers count the header as 1).
    static func lines() -> [Line] {
        var lines: [Line] = (0..<(5 * group)).map { .device(String(format: "d-%04d", $0), name: "n\($0)") }
        let g = group
        lines[3] = .device("d-0001", name: "again")           // a repeat inside the first group
        lines[g - 1] = .device("d-0002", name: "again")       // on a group's last row
        lines[g] = .device("d-0004", name: "again")           // on the next group's first row
        lines[g + 5] = .badManagement("d-x1")                 // a bad value inside a group
        lines[2 * g + 2] = .device("d-0040", name: "again")   // a repeat of a later group's key...
        lines[2 * g + 3] = .badManagement("d-x2")             // ...then a bad value right after it
        lines[3 * g + 1] = .shortLine("d-x3")                 // a line the CSV reader refuses
        lines[3 * g + 2] = .device(String(format: "d-%04d", 3 * g + 1), name: "again")  // repeats its neighbour
        return lines
    }

    static func csv(_ lines: [Line]) -> String {
        lines.reduce(TestSupport.devicesHeader) { text, line in
            switch line {
            case .device(let id, let name): text + "\(id),\(name),,,iOS,17,mdm,,,,\n"
            case .badManagement(let id): text + "\(id),,,,iOS,17,bogus,,,,\n"
            case .shortLine(let id): text + "\(id),,iOS\n"
            }
        }
    }

    static func jsonl(_ lines: [Line]) -> String {
        lines.map { line in
            switch line {
            case .device(let id, let name): "{\"device_id\": \"\(id)\", \"device_name\": \"\(name)\", \"platform\": \"iOS\", \"management\": \"mdm\"}"
            case .badManagement(let id): "{\"device_id\": \"\(id)\", \"platform\": \"iOS\", \"management\": \"bogus\"}"
            case .shortLine(let id): "{\"device_id\": \"\(id)\", \"platform\": "
            }
        }.joined(separator: "\n") + "\n"
    }

    /// What importing one row at a time gives: the problem lines in order, and the devices kept.
    static func model(_ lines: [Line], firstLine: Int) -> (problems: [Int], kept: [String: String], duplicateOf: [Int: Int]) {
        var kept: [String: String] = [:]
        var seenAt: [String: Int] = [:]
        var problems: [Int] = []
        var duplicateOf: [Int: Int] = [:]
        for (offset, line) in lines.enumerated() {
            let number = firstLine + offset
            switch line {
            case .device(let id, let name):
                if let first = seenAt[id] {
                    problems.append(number)
                    duplicateOf[number] = first
                } else {
                    seenAt[id] = number
                    kept[id] = name
                }
            case .badManagement, .shortLine:
                problems.append(number)
            }
        }
        return (problems, kept, duplicateOf)
    }

    @Test("--skip-invalid: every problem reported once, in file order, duplicates naming their first line; the rest written",
          arguments: ["csv", "jsonl"])
    func skipsInFileOrder(format: String) throws {
        let lines = Self.lines()
        let (text, firstLine) = format == "csv" ? (Self.csv(lines), 2) : (Self.jsonl(lines), 1)
        let expected = Self.model(lines, firstLine: firstLine)
        let path = try TestSupport.file("devices.\(format)", text)
        let database = try AppDatabase.inMemory()
        var skipped: [SkippedRow] = []
        let summary = try InventoryImporter.run(
            ImportRequest(kind: .devices, path: path, skipInvalid: true, actor: "t"), into: database, onSkip: { skipped.append($0) })

        #expect(skipped.map(\.location.line) == expected.problems)
        for row in skipped {
            if let first = expected.duplicateOf[row.location.line] {
                #expect(row.message.contains("duplicate device_id") && row.message.hasSuffix("(first at line \(first))"), "\(row)")
                #expect(row.location.column == 1)
            }
        }
        #expect(summary.rows == expected.kept.count && summary.inserted == expected.kept.count)
        #expect(summary.skipped == expected.problems.count)
        let stored = try database.inspect { db in
            try Row.fetchAll(db, sql: "SELECT device_id, device_name, seen_line FROM devices").reduce(into: [String: String]()) {
                $0[$1["device_id"]] = $1["device_name"]
            }
        }
        #expect(stored == expected.kept)
    }

    @Test("without --skip-invalid the first problem in file order refuses the file, whatever group it falls in",
          arguments: [3, group - 1, group, group + 5, 2 * group + 2, 2 * group + 3])
    func refusesAtFirstProblem(offset: Int) throws {
        // only one problem, at `offset`, or a bad value right after a pending duplicate
        var lines: [Line] = (0..<(3 * Self.group)).map { .device(String(format: "d-%04d", $0), name: "n") }
        lines[offset] = .device("d-0000", name: "again")
        if offset + 1 < lines.count { lines[offset + 1] = .badManagement("d-x") }
        let path = try TestSupport.file("devices.csv", Self.csv(lines))
        let database = try AppDatabase.inMemory()
        do {
            _ = try InventoryImporter.run(ImportRequest(kind: .devices, path: path, actor: "t"), into: database)
            Issue.record("accepted")
        } catch ImportError.malformed(let location, let message) {
            #expect(location.line == offset + 2 && location.column == 1, "\(location): \(message)")
            #expect(message == "duplicate device_id \"d-0000\" (first at line 2)")
        }
        #expect(try database.inspect { try Int.fetchOne($0, sql: "SELECT count(*) FROM devices") } == 0)
    }

    @Test("an upsert of many groups over a full table: inserted, updated and unchanged counted, the values the file's")
    func upsertOverFullTable() throws {
        let database = try AppDatabase.inMemory()
        let count = 4 * Self.group + 7
        let first = (0..<count).map { Line.device(String(format: "d-%04d", $0), name: "n\($0)") }
        _ = try InventoryImporter.run(ImportRequest(kind: .devices, path: try TestSupport.file("a.csv", Self.csv(first)), actor: "t"),
                                      into: database)
        // every third row changes, and as many new rows come after the old ones
        let second = (0..<(count + 10)).map { index in
            Line.device(String(format: "d-%04d", index), name: index % 3 == 0 ? "changed\(index)" : "n\(index)")
        }
        let summary = try InventoryImporter.run(
            ImportRequest(kind: .devices, path: try TestSupport.file("b.csv", Self.csv(second)), actor: "t"), into: database)
        let changed = (0..<count).filter { $0 % 3 == 0 }.count
        #expect((summary.inserted, summary.updated, summary.unchanged) == (10, changed, count - changed))
        let names = try database.inspect { try String.fetchAll($0, sql: "SELECT device_name FROM devices ORDER BY device_id") }
        #expect(names == second.map { if case .device(_, let name) = $0 { name } else { "" } })
    }
}
