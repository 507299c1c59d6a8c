import Foundation
import Testing
@testable import MDMBatchKit

@Suite("CSV reader")
struct CSVReaderTests {
    static func corpusFiles(_ folder: String, _ ext: String) -> [String] {
        let dir = TestSupport.corpus.appendingPathComponent("csv/\(folder)")
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
            .filter { $0.hasSuffix(".csv") }.sorted().map { String($0.dropLast(4)) }
    }

    @Test("corpus has inputs", arguments: ["good", "bad"])
    func corpusIsThere(folder: String) {
        #expect(Self.corpusFiles(folder, "csv").count >= 8)
    }

    @Test("reads each good input exactly, whatever the chunk size",
          arguments: corpusFiles("good", "csv"), [1, 2, 3, 7, 64, 1 << 20])
    func readsGoodInput(name: String, chunkSize: Int) throws {
        let base = TestSupport.corpus.appendingPathComponent("csv/good/\(name)")
        let expected = try JSONDecoder().decode([[String]].self, from: Data(contentsOf: base.appendingPathExtension("json")))
        let records = try TestSupport.records(ofCSV: base.appendingPathExtension("csv").path, chunkSize: chunkSize)
        #expect(records == expected)
    }

    @Test("refuses each bad input at the right line and column", arguments: corpusFiles("bad", "csv"), [2, 1 << 20])
    func refusesBadInput(name: String, chunkSize: Int) throws {
        let base = TestSupport.corpus.appendingPathComponent("csv/bad/\(name)")
        let expectation = try String(contentsOf: base.appendingPathExtension("error"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = expectation.split(separator: ":", maxSplits: 2).map { $0.trimmingCharacters(in: .whitespaces) }
        do {
            _ = try TestSupport.records(ofCSV: base.appendingPathExtension("csv").path, chunkSize: chunkSize)
            Issue.record("\(name) was accepted")
        } catch let error as CSVError {
            #expect(error.line == Int(parts[0]), "\(error)")
            #expect(error.column == Int(parts[1]), "\(error)")
            #expect(error.message.contains(parts[2]), "\(error.message)")
        }
    }

    @Test("goes on at the next line after a structural error")
    func resynchronises() throws {
        let path = try TestSupport.file("resync.csv", "a,b\n1,x\"y\n2,3\n")
        let reader = CSVReader(source: try ByteSource(path: path))
        #expect(try reader.nextRecord())
        #expect(throws: CSVError.self) { try reader.nextRecord() }
        #expect(try reader.nextRecord())
        #expect(reader.string(0) == "2" && reader.recordLine == 3)
        #expect(try reader.nextRecord() == false)
    }

    @Test("counts lines across quoted newlines")
    func linesAcrossQuotedNewlines() throws {
        let path = try TestSupport.file("lines.csv", "a,b\n\"x\ny\",1\nlast,2\n")
        let reader = CSVReader(source: try ByteSource(path: path))
        _ = try reader.nextRecord()
        _ = try reader.nextRecord()
        #expect(reader.recordLine == 2)
        _ = try reader.nextRecord()
        #expect(reader.recordLine == 4)
    }

    @Test("UTF-8 check accepts valid and finds the first invalid byte")
    func utf8Check() {
        func check(_ bytes: [UInt8]) -> Int? { bytes.withUnsafeBytes { UTF8Check.firstInvalidOffset($0) } }
        #expect(check(Array("plain ascii".utf8)) == nil)
        #expect(check(Array("Müller 東京 📱".utf8)) == nil)
        #expect(check([0x41, 0xFF]) == 1)
        #expect(check([0xC3]) == 0)              // truncated
        #expect(check([0xE0, 0x80, 0x80]) == 0)  // overlong
        #expect(check([0xF4, 0x90, 0x80, 0x80]) == 0)  // beyond U+10FFFF
    }
}
