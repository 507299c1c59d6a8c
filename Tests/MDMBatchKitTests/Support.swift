import Foundation
import GRDB
@testable import MDMBatchKit

/// The folder of this test process's temporary files, removed at exit.
let testRoot: String = {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("mdmbatch-tests-\(getpid())").path
    atexit { try? FileManager.default.removeItem(atPath: testRoot) }
    return path
}()

/// Test helpers: temporary directories and files, CSV records, a devices header, the rules' now,
/// and the busiest window of a list of send times.
enum TestSupport {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("samples")

    /// A new empty directory under this test process's own folder, which is removed when
    /// the process exits.
    static func temporaryDirectory() throws -> URL {
        let url = URL(fileURLWithPath: testRoot).appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `bytes` to a new file in a temporary directory and returns its path.
    static func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = try temporaryDirectory().appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    static func file(_ name: String, _ text: String) throws -> String {
        try file(name, Array(text.utf8))
    }

    /// The header of a devices CSV with every column the importer knows.
    static let devicesHeader = "device_id,device_name,serial_number,imei,platform,os_version,management,primary_user_upn,enrolled_by_upn,passcode_set,last_check_in\n"

    /// The moment the rules' tests take as now (2026-11-18).
    static let now: Int64 = 1_795_000_000

    /// All records of a CSV file, read with a given chunk size.
    static func records(ofCSV path: String, chunkSize: Int = 1 << 20) throws -> [[String]] {
        let reader = CSVReader(source: try ByteSource(path: path), chunkSize: chunkSize)
        var records: [[String]] = []
        while try reader.nextRecord() {
            records.append((0..<reader.fieldCount).map { reader.string($0) })
        }
        return records
    }

    /// The most events in any half-open window [t, t + seconds).
    static func busiestWindow(_ times: [Double], _ seconds: Double) -> Int {
        let sorted = times.sorted()
        var most = 0
        for (index, start) in sorted.enumerated() {
            most = max(most, sorted[index...].prefix { $0 < start + seconds - 1e-9 }.count)
        }
        return most
    }
}

extension Row {
    /// A column as text (numbers too), nil for NULL: easy to compare in expectations.
    func text(_ column: String) -> String? {
        let value: DatabaseValue = self[column]
        switch value.storage {
        case .null: return nil
        case .int64(let v): return String(v)
        case .double(let v): return String(v)
        case .string(let v): return v
        case .blob(let v): return String(decoding: v, as: UTF8.self)
        }
    }
}
