import Foundation
import Testing

/// Why a request was made (its reason, ticket and requester) reaches the audit trail and
/// every report (issue 14, item 7).
@Suite("Why a request was made reaches the audit and the reports (the built binary)")
struct RequestReasonTests {
    @Test("the request's reason, ticket and requested_by reach the audit rows, both exports and the reports")
    func auditAnswersWhy() throws {
        let cli = try Fleets.loaded()
        let batch = try cli.write("b.csv", "request_id,action,target,reason,requested_by,ticket\nr-1,lock,d-0001,Lost on the train,ann@contoso.com,INC-10\nr-2,lock,nobody,Typo,ann@contoso.com,INC-11\n")
        let run = try cli.run(["run", batch, "--report", cli.path("r.json")])
        #expect(run.status == 1)
        for format in ["csv", "jsonl"] {
            let export = try cli.run(["audit", "export", "--format", format])
            #expect(export.status == 0)
            #expect(export.stdout.contains("INC-10") && export.stdout.contains("Lost on the train"), "\(format)")
            #expect(export.stdout.contains("INC-11"), "the rejected request's ticket too (\(format))")
            #expect(export.stdout.contains("ann@contoso.com"))
        }
        let report = try JSON.object(try String(contentsOfFile: cli.path("r.json"), encoding: .utf8))
        let element = (report["requests"] as! [[String: Any]])[0]
        #expect(element["ticket"] as? String == "INC-10" && element["request_reason"] as? String == "Lost on the train"
                && element["requested_by"] as? String == "ann@contoso.com", "\(element)")
        let id = report["run_id"] as! String
        // the rejected request's row, in the text and in the HTML report: ticket, requester and reason
        let text = try cli.run(["report", id, "--format", "text"]).stdout
        #expect(text.contains("[ticket INC-11; by ann@contoso.com; why: Typo]"), "\(text)")
        let html = try cli.run(["report", id, "--format", "html"]).stdout
        #expect(html.contains("<th>requested by</th><th>ticket</th><th>why requested</th>"))
        #expect(html.contains("<td>ann@contoso.com</td><td>INC-11</td><td>Typo</td></tr>"), "the rejected row carries them")
    }
}
