import Foundation
import Testing

/// `run-spool`: what it files where, and what it never does: follow a link, take new
/// content for an old run, overwrite, quote a batch (issue 23, item 10). Operations' spool
/// test (crashes, filing once a run is terminal) is in OperationsTests.
@Suite("run-spool files safely (the built binary)", .serialized)
struct RunSpoolTests {
    static func spool(_ cli: CLIHarness) throws -> URL {
        let root = cli.directory.appendingPathComponent("spool")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("incoming"), withIntermediateDirectories: true)
        return root
    }

    static func listing(_ folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    @Test("item 10: a symbolic link in incoming/ is logged and filed under failed/ with an .error.txt, never followed")
    func spoolSymbolicLink() throws {
        let cli = try Fleets.loaded()
        let root = try Self.spool(cli)
        let target = try cli.write("real.csv", "request_id,action,target\nr-1,lock,d-0001\n")
        #expect(symlink(target, root.appendingPathComponent("incoming/link.csv").path) == 0)
        let result = try cli.run(["run-spool", root.path])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("link.csv"), "logged: \(result.stderr)")
        #expect(Self.listing(root.appendingPathComponent("incoming")).isEmpty)
        #expect(Self.listing(root.appendingPathComponent("failed")) == ["link.csv", "link.csv.error.txt"])
        let why = try String(contentsOfFile: root.appendingPathComponent("failed/link.csv.error.txt").path, encoding: .utf8)
        #expect(why.contains("symbolic link"), "\(why)")
        #expect(try cli.sql("SELECT count(*) FROM runs") == "0", "nothing was run")
    }

    @Test("item 10: the same content dropped again later is a new request: a new run, never filed as already run")
    func spoolSameContentAgain() throws {
        let cli = try Fleets.loaded()
        let root = try Self.spool(cli)
        let content = "request_id,action,target\nr-1,lock,d-0001\n"
        try content.write(toFile: root.appendingPathComponent("incoming/a.csv").path, atomically: false, encoding: .utf8)
        #expect(try cli.run(["run-spool", root.path, "--quiet"]).status == 0)
        try content.write(toFile: root.appendingPathComponent("incoming/b.csv").path, atomically: false, encoding: .utf8)
        let again = try cli.run(["run-spool", root.path])
        #expect(!again.stderr.contains("already run"), "\(again.stderr)")
        #expect(try cli.sql("SELECT count(*) FROM runs") == "2", "a new run, as run would make")
    }

    @Test("item 10: outputs never overwrite: a file named like another's report, and a batch name filed twice")
    func spoolNeverOverwrites() throws {
        let cli = try Fleets.loaded()
        let root = try Self.spool(cli)
        let incoming = root.appendingPathComponent("incoming")
        try "request_id,action,target\nr-1,lock,d-0001\n".write(toFile: incoming.appendingPathComponent("a.csv").path, atomically: false, encoding: .utf8)
        // a batch in its own right, named like a.csv's report
        try "request_id,action,target\nr-9,lock,d-0003\n".write(toFile: incoming.appendingPathComponent("a.csv.report.json").path,
                                                                atomically: false, encoding: .utf8)
        _ = try cli.run(["run-spool", root.path, "--quiet"])
        let runID = try cli.sql("SELECT id FROM runs WHERE batch_name LIKE '%a.csv'")
        let report = try String(contentsOfFile: root.appendingPathComponent("done/a.csv.report.json").path, encoding: .utf8)
        #expect(report.contains(runID), "a.csv's report is still its own")
        // the same name again later: filed beside the first, not over it
        try "request_id,action,target\nr-2,lock,d-0003\n".write(toFile: incoming.appendingPathComponent("a.csv").path, atomically: false, encoding: .utf8)
        #expect(try cli.run(["run-spool", root.path, "--quiet"]).status == 0)
        let done = Self.listing(root.appendingPathComponent("done"))
        #expect(done.count == 6, "three batches and their three reports: \(done)")
        #expect(try String(contentsOfFile: root.appendingPathComponent("done/a.csv").path, encoding: .utf8).contains("r-1"))
        #expect(try String(contentsOfFile: root.appendingPathComponent("done/a.csv.report.json").path, encoding: .utf8) == report)
    }

    @Test("item 10: NAME.error.txt names where a batch is malformed and quotes nothing from it")
    func spoolErrorQuotesNothing() throws {
        let cli = try Fleets.loaded()
        let root = try Self.spool(cli)
        try "root:$6$SECRETHASH:19000:0:99999:7:::\nmore\n".write(toFile: root.appendingPathComponent("incoming/shadow.csv").path,
                                                                 atomically: false, encoding: .utf8)
        #expect(try cli.run(["run-spool", root.path, "--quiet"]).status == 1)
        let why = try String(contentsOfFile: root.appendingPathComponent("failed/shadow.csv.error.txt").path, encoding: .utf8)
        #expect(why.hasPrefix("shadow.csv:"), "\(why)")
        #expect(!why.contains("SECRETHASH") && !why.contains("root"), "\(why)")
    }
}
