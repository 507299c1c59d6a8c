import Foundation
import GRDB
@testable import MDMBatchKit

/// The folder of this test process's temporary files, removed at exit.
let testRoot: String = {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("mdmbatch-tests-\(getpid())").path
    atexit { try? FileManager.default.removeItem(atPath: testRoot) }
    return path
}()

/// Test helpers: temporary directories and files.
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

    /// All records of a CSV file, read with a given chunk size.
    static func records(ofCSV path: String, chunkSize: Int = 1 << 20) throws -> [[String]] {
        let reader = CSVReader(source: try ByteSource(path: path), chunkSize: chunkSize)
        var records: [[String]] = []
        while try reader.nextRecord() {
            records.append((0..<reader.fieldCount).map { reader.string($0) })
        }
        return records
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
