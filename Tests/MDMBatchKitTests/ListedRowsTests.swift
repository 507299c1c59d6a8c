import Testing
@testable import MDMBatchKit

@Suite("What a report lists of a long list: the first rows of each group")
struct ListedRowsTests {
    static func item(_ line: Int, _ reason: ReasonCode?, skip: ReasonCode? = nil) -> PlanItem {
        var item = PlanItem(line: line, requestID: "r-\(line)", action: .lock, actionText: "lock", target: "d-\(line)", deviceID: "d-\(line)",
                            platform: nil, verdict: Verdict(reason: reason, warnings: [], secret: nil, detail: nil),
                            requestedBy: nil, justification: nil, ticket: nil)
        item.skip = skip
        return item
    }

    @Test("the plan keeps of each (verdict, reason) its count and first rows in plan order; rejected, then skipped, then accepted, the largest first")
    func planGroups() {
        var rows = PlanText.FirstRows(limit: 3)
        for line in 1...10 { rows.add(Self.item(line, .unknownTarget)) }
        for line in 11...12 { rows.add(Self.item(line, .noPasscode)) }
        for line in 13...17 { rows.add(Self.item(line, nil)) }
        rows.add(Self.item(18, nil, skip: .alreadyDone))
        rows.add(Self.item(19, .ambiguousTarget))
        rows.add(Self.item(20, .noPasscode))
        let listed = rows.listed
        #expect(listed.map(\.key.name) == ["rejected · unknown_target", "rejected · no_passcode", "rejected · ambiguous_target",
                                           "skipped · already_done", "accepted"])
        #expect(listed.map(\.count) == [10, 3, 1, 1, 5])
        #expect(listed.map(\.rest) == [7, 0, 0, 0, 2])
        #expect(listed[0].rows.map(\.line) == [1, 2, 3])
        #expect(listed[1].rows.map(\.line) == [11, 12, 20])
        let text = PlanText.groups(rows, listAll: "mdmbatch plan b.csv --all")
        #expect(text.contains("\nrejected · unknown_target: 10\n"))
        #expect(text.contains("\n  … 7 more not shown; all of them: mdmbatch plan b.csv --all (or --json)\n"))
        #expect(text.components(separatedBy: "more not shown").count - 1 == 2)
    }

    @Test("no rows kept when the limit is 0: headings and counts only")
    func zeroLimit() {
        var rows = PlanText.FirstRows(limit: 0)
        for line in 1...4 { rows.add(Self.item(line, .unknownTarget)) }
        #expect(rows.listed.map(\.rest) == [4])
        #expect(!PlanText.groups(rows, listAll: "x").contains("d-1"))
    }

    @Test("a batch path in the note is a shell word", arguments: [
        ("lost.csv", "lost.csv"), ("/tmp/a-b_c/lost.v2.csv", "/tmp/a-b_c/lost.v2.csv"), ("-", "-"),
        ("long batch.csv", "'long batch.csv'"), ("it's.csv", "'it'\\''s.csv'"), ("$(rm -rf x).csv", "'$(rm -rf x).csv'"), ("", "''"),
    ])
    func shellWord(path: String, word: String) {
        #expect(ShellWord.quoted(path) == word)
    }

    @Test("a group's name: state or verdict, then the reason")
    func names() {
        #expect(ElementGroup(state: .rejected, reason: .unknownTarget).name == "rejected · unknown_target")
        #expect(ElementGroup(state: .failed, reason: nil).name == "failed")
        #expect(ElementGroup(state: .unknownOutcome, reason: nil).slug == "unknown_outcome")
    }
}
