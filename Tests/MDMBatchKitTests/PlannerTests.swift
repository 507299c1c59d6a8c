import Foundation
import GRDB
import Testing
@testable import MDMBatchKit

@Suite("Planning a batch")
struct PlannerTests {
    static let devices = """
        device_id,serial_number,imei,platform,os_version,management,primary_user_upn,enrolled_by_upn,passcode_set
        d1,S1,I1,iOS,17,mdm,jane@contoso.com,jane@contoso.com,true
        d2,S2,I2,Android,6.0.1,mdm,jane@contoso.com,jane@contoso.com,true
        d3,DUP,I3,Android,13,mdm,bob@contoso.com,bob@contoso.com,true
        d4,DUP,I4,iOS,16,mdm,bob@contoso.com,bob@contoso.com,true
        S2,S9,I9,iOS,17,mdm,,,true

        """

    func plan(_ batch: String, name: String = "batch.csv") throws -> (Plan, [PlanItem], AppDatabase) {
        let database = try AppDatabase.inMemory()
        _ = try InventoryImporter.run(ImportRequest(kind: .devices, path: try TestSupport.file("d.csv", Self.devices), actor: "t"),
                                      into: database)
        _ = try InventoryImporter.run(ImportRequest(kind: .users, path: try TestSupport.file("u.csv", "upn\nJane@Contoso.com\nlonely@contoso.com\n"),
                                                    actor: "t"), into: database)
        var items: [PlanItem] = []
        let plan = try Planner.plan(batchPath: try TestSupport.file(name, batch), database: database, rules: .intune2017,
                                    now: 1_795_000_000) { items.append($0) }
        return (plan, items, database)
    }

    @Test("plan's summary says how to give the enrollment of Android devices refused enrollment_unknown, and only then")
    func enrollmentUnknownNotice() throws {
        let (_, _, database) = try plan("action,target\nlock,d1\n")
        func summary(_ batch: String, _ rules: RuleSet) throws -> String {
            let plan = try Planner.plan(batchPath: try TestSupport.file("b.csv", batch), database: database, rules: rules,
                                        now: 1_795_000_000) { _ in }
            return PlanText.summary(plan)
        }
        let today = try summary("action,target\nlock,d2\nlock,d3\nlock,d1\n", .intune2025)
        #expect(today.contains("2 elements were refused enrollment_unknown"), "\(today)")
        #expect(today.contains("enrollment column") && today.contains("--graph-beta-fields"), "\(today)")
        #expect(!(try summary("action,target\nlock,d2\n", .intune2017)).contains("enrollment_unknown"))
        #expect(!(try summary("action,target\nlock,d1\n", .intune2025)).contains("enrollment"))
    }

    @Test("a user target expands to every device whose primary user it is, regardless of case")
    func userExpansion() throws {
        let (plan, items, _) = try plan("action,target\nlock,JANE@contoso.com\n")
        #expect(items.map(\.deviceID) == ["d1", "d2"])
        #expect(items.allSatisfy { $0.line == 2 && $0.verdict.accepted })
        #expect(plan.summary.requests == 1 && plan.summary.targets == 2)
    }

    @Test("targets resolve by device id, then serial, then IMEI, then user; target_type forces one")
    func resolutionOrder() throws {
        let (_, items, _) = try plan("""
            action,target,target_type
            lock,S2,
            lock,S2,serial
            lock,I1,
            lock,I1,device_id
            lock,jane@contoso.com,imei
            """)
        #expect(items.map(\.deviceID) == ["S2", "d2", "d1", nil, nil])
        #expect(items[3].verdict.reason == .unknownTarget && items[4].verdict.reason == .unknownTarget)
    }

    @Test("an ambiguous serial is one rejected element listing the devices")
    func ambiguousSerial() throws {
        let (_, items, _) = try plan("action,target\nlock,DUP\n")
        #expect(items.count == 1)
        #expect(items[0].verdict.reason == .ambiguousTarget && items[0].deviceID == nil)
        #expect(items[0].verdict.detail == "matches devices d3, d4")
    }

    @Test("unknown target, user without devices, invalid action and target type")
    func unresolvable() throws {
        let (_, items, _) = try plan("action,target,target_type\nlock,nobody,\nlock,lonely@contoso.com,\nwipe,d1,\nlock,d1,mac\nlock,,\n")
        #expect(items.map(\.verdict.reason) == [.unknownTarget, .noDevicesForUser, .invalidRequest, .invalidRequest, .invalidRequest])
        #expect(items[2].action == nil && items[2].actionText == "wipe")
    }

    @Test("the same action on the same device later in the batch is a duplicate, another action is not")
    func duplicates() throws {
        let (_, items, _) = try plan("action,target\nlock,jane@contoso.com\nremote_lock,d2\nreset_passcode,d2\nresetPasscode,I2\nlock,DUP\nlock,d3\n")
        #expect(items.map(\.verdict.reason) == [nil, nil, .duplicateRequest, nil, .duplicateRequest, .ambiguousTarget, nil])
        // an ambiguous request claims no device: the later lock of d3 is not a duplicate
    }

    @Test("reads JSONL batches with aliases and optional fields")
    func jsonl() throws {
        let (plan, items, _) = try plan("""
            {"request_id": "r1", "action": "remote_lock", "target": "d1", "reason": "lost", "requested_by": "help@c", "ticket": "T1"}

            {"action": "passcode_reset", "target": "I2", "target_type": "imei"}
            """, name: "batch.jsonl")
        #expect(items.count == 2)
        #expect(items[0].requestID == "r1" && items[0].action == .lock && items[0].requestedBy == "help@c" && items[0].ticket == "T1")
        #expect(items[1].line == 3 && items[1].action == .resetPasscode && items[1].verdict.temporaryPasscode)
        #expect(plan.batch.requests == 2 && plan.batch.sha256.count == 64)
    }

    @Test("a structurally broken batch is refused naming file:line:column", arguments: [
        ("action,target\n\"lock,d1\n", "batch.csv", 2, 1, "unterminated quoted field"),
        ("action,device\nlock,d1\n", "batch.csv", 1, 1, "missing required column target"),
        ("action,target\nlock,d1,extra\n", "batch.csv", 2, 3, "expected 2 fields"),
        ("{\"action\": \"lock\", \"target\": \"d1\"}\n{\"action\": \"lock\", \n", "batch.jsonl", 2, 1, "expected a JSON object"),
        ("{\"action\": \"lock\", \"target\": \"d1\"}\n{\"action\": \"lock\"}\n", "batch.jsonl", 2, 1, "needs \"action\" and \"target\""),
        ("", "batch.csv", 1, 1, "empty file"),
    ])
    func brokenBatch(text: String, name: String, line: Int, column: Int, fragment: String) throws {
        do {
            _ = try plan(text, name: name)
            Issue.record("accepted")
        } catch BatchError.malformed(let location, let message) {
            #expect(location.line == line && location.column == column, "\(location): \(message)")
            #expect(message.contains(fragment), "\(message)")
            #expect(location.file.hasSuffix(name))
        }
    }

    @Test("planning writes nothing to the main database")
    func writesNothing() throws {
        let (_, _, database) = try plan("action,target\nlock,d1\n")
        let tables = try database.inspect { try String.fetchAll($0, sql: "SELECT name FROM sqlite_temp_master") }
        #expect(tables.isEmpty)
        #expect(try database.inspect { try Int.fetchOne($0, sql: "SELECT count(*) FROM audit_log WHERE event = 'plan'") } == 0)
    }

    @Test("the JSON element has exactly the keys of DESIGN.md, plus detail")
    func jsonShape() throws {
        let (plan, items, _) = try plan("request_id,action,target\nr-17,lock,d1\n")
        let element = try JSONSerialization.jsonObject(with: Data(PlanJSON.element(items[0]).utf8)) as! [String: Any]
        #expect(Set(element.keys) == ["line", "request_id", "action", "target", "device_id", "platform", "verdict", "reason",
                                      "warnings", "secret", "temporary_passcode", "detail"])
        #expect(element["line"] as? Int == 2 && element["request_id"] as? String == "r-17" && element["verdict"] as? String == "accepted")
        #expect(element["reason"] is NSNull && (element["warnings"] as? [Any])?.isEmpty == true)
        let document = PlanJSON.header(plan.batch, rules: plan.rules) + PlanJSON.element(items[0]) + "], \"summary\": " + PlanJSON.summary(plan.summary) + "}"
        let parsed = try JSONSerialization.jsonObject(with: Data(document.utf8)) as! [String: Any]
        #expect(Set(parsed.keys) == ["batch", "batch_sha256", "rule_set", "requests", "summary"])
        let summary = parsed["summary"] as! [String: Any]
        #expect(Set(summary.keys) == ["requests", "targets", "accepted", "rejected", "skipped", "by_reason"])
    }

    @Test("JSON strings are escaped")
    func jsonEscaping() {
        #expect(JSONText.quote("a\"b\\c\n\u{1}é") == "\"a\\\"b\\\\c\\n\\u0001é\"")
        #expect(JSONText.quote(nil) == "null")
    }
}
