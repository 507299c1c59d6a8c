import Foundation
import GRDB
import Testing
@testable import MDMBatchKit

@Suite("Audit: the checkpoint policy of a signed database, and what verify requires")
struct AuditPolicyTests {
    /// A new key: its signer and its public key.
    static func key() throws -> (signer: AuditSigner, publicKey: AuditPublicKey) {
        let (privateKey, publicKey) = AuditSigner.generate()
        let path = try TestSupport.file("audit.key", privateKey)
        return (try AuditSigner(keyFile: path), try AuditPublicKey(base64: publicKey.trimmingCharacters(in: .newlines), source: "test"))
    }

    static let time = Date(timeIntervalSince1970: 1_780_000_000)

    static func events(_ database: AppDatabase) throws -> [String] {
        try database.inspect { db in
            try String.fetchAll(db, sql: """
                SELECT event || CASE WHEN event = 'checkpoint' AND detail LIKE '%"signature"%' THEN '+signed' ELSE '' END
                FROM audit_log ORDER BY seq
                """)
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var signedBefore: Bool
        var withKey: Bool
        var policy: CheckpointPolicy
        /// The rows appended: "plan", then "checkpoint" or "checkpoint+signed"; nil: refused.
        var appended: [String]?
        var testDescription: String {
            "\(signedBefore ? "signed" : "unsigned") database, \(withKey ? "with" : "without") the key, \(policy)"
        }
    }

    @Test("each policy in a signed or unsigned database, with or without the key", arguments: [
        Case(signedBefore: false, withKey: false, policy: .required, appended: ["plan", "checkpoint"]),
        Case(signedBefore: false, withKey: false, policy: .whenSignable, appended: ["plan", "checkpoint"]),
        Case(signedBefore: false, withKey: false, policy: .none, appended: ["plan"]),
        Case(signedBefore: false, withKey: true, policy: .required, appended: ["plan", "checkpoint+signed"]),
        Case(signedBefore: false, withKey: true, policy: .whenSignable, appended: ["plan", "checkpoint+signed"]),
        Case(signedBefore: true, withKey: true, policy: .required, appended: ["plan", "checkpoint+signed"]),
        Case(signedBefore: true, withKey: true, policy: .whenSignable, appended: ["plan", "checkpoint+signed"]),
        Case(signedBefore: true, withKey: false, policy: .required, appended: nil),
        Case(signedBefore: true, withKey: false, policy: .whenSignable, appended: ["plan"]),
        Case(signedBefore: true, withKey: false, policy: .none, appended: ["plan"]),
    ])
    func policy(_ test: Case) throws {
        let key = try Self.key()
        let first = try AppDatabase.inMemory(signer: test.signedBefore ? key.signer : nil)
        try first.write { try $0.appendAudit(AuditEvent(.import, actor: "a"), at: Self.time, checkpoint: .required) }
        let before = try Self.events(first)
        let database = first.signing(with: test.withKey ? key.signer : nil)
        let append = { try database.write { try $0.appendAudit(AuditEvent(.plan, actor: "b"), at: Self.time, checkpoint: test.policy) } }
        if let appended = test.appended {
            _ = try append()
            #expect(try Self.events(database) == before + appended)
            #expect(try AuditVerifier.verify(database, publicKey: test.signedBefore ? key.publicKey : nil).get().rows == before.count + appended.count)
        } else {
            #expect(throws: AuditTrailError.signingKeyRequired(fingerprint: key.publicKey.fingerprint)) { try append() }
            #expect(try Self.events(database) == before, "the refused transaction left nothing")
            #expect(throws: AuditTrailError.signingKeyRequired(fingerprint: key.publicKey.fingerprint)) {
                try database.write { try $0.checkSealing(.required) }
            }
            #expect(throws: AuditTrailError.self) { try database.checkedForSealing(.required) }
            _ = try database.checkedForSealing(.whenSignable)
        }
    }

    @Test("an import refused for want of the key is rolled back whole: no device, no import, no audit row")
    func importRolledBack() throws {
        let key = try Self.key()
        let signed = try AppDatabase.inMemory(signer: key.signer)
        let first = try TestSupport.file("d.csv", "device_id,platform\nd1,iOS\n")
        _ = try InventoryImporter.run(ImportRequest(kind: .devices, path: first, actor: "t"), into: signed)
        func counts() throws -> [Int] {
            try signed.inspect { db in
                try ["devices", "imports", "audit_log"].map { try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0)")! }
            }
        }
        let before = try counts()
        let second = try TestSupport.file("d.csv", "device_id,platform\nd2,Android\nd3,iOS\n")
        #expect(throws: AuditTrailError.self) {
            try InventoryImporter.run(ImportRequest(kind: .devices, path: second, actor: "t"), into: signed.signing(with: nil))
        }
        #expect(try counts() == before)
    }

    @Test("a plan and an export without the key write their rows and no checkpoint; verify with the public key passes")
    func planAndExportUnsealed() throws {
        let key = try Self.key()
        let signed = try AppDatabase.inMemory(signer: key.signer)
        _ = try InventoryImporter.run(ImportRequest(kind: .devices, path: try TestSupport.file("d.csv", "device_id,platform\nd1,iOS\n"),
                                                    actor: "t"), into: signed)
        let auditor = signed.signing(with: nil)
        _ = try DryRun.run(batchPath: try TestSupport.file("b.csv", "action,target\nlock,d1\n"), database: auditor, rules: .default,
                           actor: "t", now: Self.time, each: { _ in })
        try AuditExport.run(auditor, filter: AuditExportFilter(), format: .jsonl, actor: "auditor", outputName: "<test>",
                            now: { Self.time }) { produce in try produce { _ in } }
        #expect(try Self.events(signed) == ["import", "checkpoint+signed", "plan", "export"])
        let found = try AuditVerifier.verify(signed, publicKey: key.publicKey).get()
        #expect(found.unsealedRows == 2 && found.signers == [AuditKeyCount(fingerprint: key.signer.fingerprint, checkpoints: 1)])
    }

    @Test("a run without the key of a signed database ends refused, never with an unsigned checkpoint")
    func runRefused() async throws {
        let key = try Self.key()
        let fleet = try RunnerFixtures.fleet()
        try fleet.signing(with: key.signer).write {
            try $0.appendAudit(AuditEvent(.plan, actor: "t"), at: Self.time, checkpoint: .required)
        }
        let clock = ImmediateClock()
        let transport = ScriptedTransport(clock: clock) { _ in .success(TransportReceipt(channel: "APNs", effect: "locked")) }
        let batch = try TestSupport.file("b.csv", "request_id,action,target\nr1,lock,d-ios\n")
        await #expect(throws: AuditTrailError.signingKeyRequired(fingerprint: key.publicKey.fingerprint)) {
            try await RunnerFixtures.runner(fleet.signing(with: nil), transport, clock).run(batchPath: batch, secrets: DiscardingSecretSink())
        }
        // (the fleet's import before the key was sealed unsigned: that is allowed)
        #expect(try Self.events(fleet).drop { $0 != "plan" }.filter { $0.hasPrefix("checkpoint") } == ["checkpoint+signed"])
        #expect(try AuditVerifier.verify(fleet, publicKey: key.publicKey).get().signedCheckpoints == 1)
    }

    @Test("verify counts the checkpoints of each key, in the order first seen")
    func signers() throws {
        let (a, b) = (try Self.key(), try Self.key())
        let database = try AppDatabase.inMemory()
        for signer in [a.signer, a.signer, b.signer, a.signer] {
            try database.signing(with: signer).write {
                try $0.appendAudit(AuditEvent(.import, actor: "t"), at: Self.time, checkpoint: .required)
            }
        }
        let found = try AuditVerifier.verify(database).get()
        #expect(found.signers == [AuditKeyCount(fingerprint: a.signer.fingerprint, checkpoints: 3),
                                  AuditKeyCount(fingerprint: b.signer.fingerprint, checkpoints: 1)])
        #expect(found.signedCheckpoints == 4 && found.checkpoints == 4 && found.rows == 8)
        guard case .failure(let problem) = try AuditVerifier.verify(database, publicKey: a.publicKey) else {
            Issue.record("b's checkpoint passed with a's key")
            return
        }
        #expect(problem.seq == 6 && problem.kind == .badSignature)
    }

    /// A chain rebuilt by someone without the key: rows and checkpoints whose hashes are
    /// right (the appender computes them) but with no real signature.
    static func forged(_ checkpointDetail: (_ head: String, _ headSeq: Int64) -> [String: JSONValue]?) throws -> AppDatabase {
        let database = try AppDatabase.inMemory()
        try database.write { store in
            var audit = try store.auditAppender()
            try audit.append(AuditEvent(.import, actor: "mallory"), at: Self.time)
            let head = audit.chainHead
            if let detail = checkpointDetail(head.hash, head.seq) {
                try audit.append(AuditEvent(.checkpoint, actor: "mallory", outcome: .sealed, detail: detail), at: Self.time)
            }
        }
        return database
    }

    @Test("with a public key, a chain signed by nobody fails: no checkpoint, or one that only mentions a signature")
    func nothingSigned() throws {
        let key = try Self.key()
        let chains = [
            try Self.forged { _, _ in nil },
            try Self.forged { head, seq in
                ["head": .string(head), "head_seq": .number(Double(seq)), "note": .object(["signature": .string("none")])]
            },
            try AppDatabase.inMemory(),
        ]
        for database in chains {
            #expect(try AuditVerifier.verify(database).get().signedCheckpoints == 0)
            guard case .failure(let problem) = try AuditVerifier.verify(database, publicKey: key.publicKey) else {
                Issue.record("an unsigned chain passed with a public key")
                continue
            }
            #expect(problem.kind == .unsignedCheckpoint && problem.message.contains("no checkpoint is signed"))
        }
        // a signature that is not text is no checkpoint's
        let odd = try Self.forged { head, seq in ["head": .string(head), "head_seq": .number(Double(seq)), "signature": .number(1)] }
        if case .failure(let problem) = try AuditVerifier.verify(odd) { #expect(problem.kind == .badCheckpoint) }
        else { Issue.record("a checkpoint with a numeric signature passed") }
    }

    @Test("--expect-head: row SEQ with that hash; a shorter log is a cut tail, another hash a replaced history")
    func expectHead() throws {
        let database = try AppDatabase.inMemory()
        for _ in 0..<3 {
            try database.write { try $0.appendAudit(AuditEvent(.plan, actor: "t"), at: Self.time, checkpoint: .required) }
        }
        let head = try AuditVerifier.verify(database).get().chainHead
        #expect(head.seq == 6)
        #expect(try AuditVerifier.verify(database, expectHead: head).get().rows == 6)
        #expect(try AuditVerifier.verify(database, expectHead: AuditHead(seq: 2, hash: database.inspect {
            try String.fetchOne($0, sql: "SELECT hash FROM audit_log WHERE seq = 2")!
        })).get().rows == 6)
        let later = AuditHead(seq: 8, hash: String(repeating: "a", count: 64))
        guard case .failure(let cut) = try AuditVerifier.verify(database, expectHead: later) else { Issue.record("passed"); return }
        #expect(cut.kind == .truncatedTail && cut.message == "the log ends at row 6, the expected head is row 8")
        guard case .failure(let replaced) = try AuditVerifier.verify(database, expectHead: AuditHead(seq: 4, hash: later.hash)) else {
            Issue.record("passed")
            return
        }
        #expect(replaced.seq == 4 && replaced.kind == .replacedHistory)
    }

    @Test("SEQ:HASH is parsed strictly", arguments: [
        ("12:" + String(repeating: "A", count: 64), "12:" + String(repeating: "a", count: 64)),
        ("12", nil), ("0:" + String(repeating: "a", count: 64), nil), ("-1:" + String(repeating: "a", count: 64), nil),
        ("+3:" + String(repeating: "a", count: 64), nil), ("3:" + String(repeating: "a", count: 63), nil),
        ("3:" + String(repeating: "g", count: 64), nil), ("3:" + String(repeating: "a", count: 64) + ":1", nil),
    ] as [(String, String?)])
    func headParsing(text: String, parsed: String?) {
        #expect(AuditHead(text)?.description == parsed)
    }

    @Test("a dropped audit_log: verify says so; an export and an append refuse with a clear error, not SQLite's")
    func droppedTable() throws {
        let database = try AppDatabase.inMemory()
        try database.write { try $0.appendAudit(AuditEvent(.import, actor: "t"), at: Self.time, checkpoint: .required) }
        try database.tamper("DROP TABLE audit_log")
        guard case .failure(let problem) = try AuditVerifier.verify(database) else { Issue.record("passed"); return }
        #expect(problem.kind == .missingLog && problem.description.hasPrefix("audit_log missing: "))
        #expect(throws: AuditTrailError.missing) {
            try AuditExport.run(database, filter: AuditExportFilter(), format: .csv, actor: "t", outputName: "-",
                                now: { Self.time }) { produce in try produce { _ in } }
        }
        #expect(throws: AuditTrailError.missing) {
            try database.write { try $0.appendAudit(AuditEvent(.plan, actor: "t"), at: Self.time) }
        }
        #expect(throws: AuditTrailError.missing) { try database.checkedForSealing(.required) }
    }
}
