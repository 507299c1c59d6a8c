import Foundation
import MDMBatchKit
import Testing

/// What must hold after any run, however it ended: read from the database and the mock's
/// files as a third party would.
enum RunInvariants {
    /// After everything: every dispatch terminal, at most one effect per key in the mock's
    /// journal and exactly one for each succeeded dispatch, and the audit chain intact.
    static func checkNothingLostNothingDoubled(_ cli: CLIHarness, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        #expect(try cli.sql("SELECT count(*) FROM dispatches WHERE state IN ('planned', 'queued', 'sending', 'retry_wait')") == "0",
                sourceLocation: sourceLocation)
        #expect(try cli.sql("SELECT count(*) FROM runs WHERE state != 'finished'") == "0", sourceLocation: sourceLocation)
        // what the service did: the effects of its journal and what its memory says it received.
        // The mock remembers an action, then journals it: a crash between the two lines (the
        // process killed while another worker is there) leaves it remembered, not journalled,
        // and the next run, asking, rightly records it succeeded.
        func counts(_ suffix: String, type: String) throws -> [String: Int] {
            var counts: [String: Int] = [:]
            let text = (try? String(contentsOfFile: cli.database + suffix, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") {
                // a line cut by the crash is no record
                guard let record = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
                if record["type"] as? String == type { counts[record["key"] as! String, default: 0] += 1 }
            }
            return counts
        }
        let journalled = try counts(".mock-journal.jsonl", type: "effect")
        let remembered = try counts(".mock-service.jsonl", type: "received")
        let effects = journalled.merging(remembered) { max($0, $1) }
        #expect(effects.values.allSatisfy { $0 == 1 }, "a key took effect twice", sourceLocation: sourceLocation)
        for key in try cli.sql("SELECT idempotency_key FROM dispatches WHERE state = 'succeeded'").split(separator: "\n") {
            #expect(effects[String(key)] == 1, "succeeded without exactly one effect: \(key)", sourceLocation: sourceLocation)
        }
        try checkAuditChain(cli, sourceLocation: sourceLocation)
    }

    /// Recomputes the hash chain from the rows (as a third party would).
    static func checkAuditChain(_ cli: CLIHarness, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let dump = try cli.sql("SELECT seq, at, run_id, actor, event, device_id, action, outcome, reason, detail, prev_hash, hash FROM audit_log ORDER BY seq", json: true)
        let rows = try JSONSerialization.jsonObject(with: Data(dump.utf8)) as! [[String: Any]]
        var previous = AuditLog.genesisHash
        var expectedSeq = 1
        for row in rows {
            let seq = row["seq"] as! Int
            #expect(seq == expectedSeq, "audit seq gap at \(seq)", sourceLocation: sourceLocation)
            let fields: [String?] = [String(seq)] + ["at", "run_id", "actor", "event", "device_id", "action", "outcome", "reason", "detail"]
                .map { row[$0] as? String }
            #expect(row["prev_hash"] as? String == previous, "prev_hash of \(seq)", sourceLocation: sourceLocation)
            let hash = AuditLog.chainHash(prevHash: previous, fields: fields)
            #expect(row["hash"] as? String == hash, "hash of \(seq)", sourceLocation: sourceLocation)
            previous = hash
            expectedSeq = seq + 1
        }
        #expect(!rows.isEmpty, sourceLocation: sourceLocation)
    }
}
