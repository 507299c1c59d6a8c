import Foundation
import Testing
@testable import MDMBatchKit

@Suite("Rule sets by name, and mdmbatch rules' table and JSON")
struct RulesDocumentTests {
    @Test("both sets are known by name, intune-2017 first and by default")
    func names() {
        #expect(RuleSet.all.map(\.name) == ["intune-2017", "intune-2025"])
        #expect(RuleSet.named("intune-2025") == .intune2025)
        #expect(RuleSet.named("intune-2017") == .intune2017)
        #expect(RuleSet.named("intune-2024") == nil && RuleSet.named("") == nil)
        #expect(RuleSet.default == .intune2017)
    }

    @Test("intune-2025 lists its platforms in RULES.md's order and names its sources")
    func intune2025Table() {
        #expect(RuleSet.intune2025.platforms == [.ios, .macos, .visionos, .androidDedicated, .androidFullyManaged,
                                                 .androidCorporateWorkProfile, .androidPersonalWorkProfile, .androidAOSP,
                                                 .androidDeviceAdmin, .windows, .linux, .chromeos])
        let sources = RuleSet.intune2025.source
        for page in ["Device action: remote lock", "Device action: reset passcode", "Remote device action: remove passcode"] {
            #expect(sources.contains("Microsoft Learn, \"\(page)\""), "\(page)")
        }
        #expect(RuleSet.intune2025.unlockPINOutstandingDays == 30 && RuleSet.intune2017.unlockPINOutstandingDays == nil)
        #expect(RuleSet.intune2017.cell(.visionos, .lock) == .notListed)
        #expect(RuleSet.intune2025.cell(.android, .lock) == .notListed)
    }

    @Test("the only secrets: temporary passcodes of resets, the unlock PIN of a macOS lock", arguments: RuleSet.all)
    func secrets(rules: RuleSet) {
        for row in rules.rows {
            #expect(row.lock.secret == (rules == .intune2025 && row.platform == .macos ? .unlockPIN : nil), "\(row.platform)")
            #expect(row.resetPasscode.secret != .unlockPIN)
            #expect(row.lock.needsPasscode || row.lock.support == .unsupported, "a lock needs a passcode: \(row.platform)")
        }
    }

    static func object(_ rules: RuleSet) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(RulesDocument(rules: rules).json.utf8)) as? [String: Any])
    }

    @Test("rules --rules intune-2025 --json: the set's data")
    func json2025() throws {
        let object = try Self.object(.intune2025)
        #expect(object["rule_set"] as? String == "intune-2025")
        #expect((object["source"] as? String)?.contains("Microsoft Learn") == true)
        #expect((object["sources"] as? [String])?.count == 4)
        #expect(object["default"] as? String == "unlisted")
        #expect(object["unlock_pin_outstanding_days"] as? Int == 30)
        #expect(object["platform_order"] as? [String] == RuleSet.intune2025.platforms.map(\.rawValue))
        let platforms = try #require(object["platforms"] as? [String: [String: [String: Any]]])
        #expect(Set(platforms.keys) == Set(RuleSet.intune2025.platforms.map(\.rawValue)))
        for (id, actions) in platforms {
            #expect(Set(actions.keys) == ["lock", "reset_passcode"], "\(id)")
            for (action, cell) in actions {
                #expect(Set(cell.keys) == ["support", "secret", "temporary_passcode", "needs_passcode", "note"], "\(id) \(action)")
            }
        }
        #expect(platforms["macos"]?["lock"]?["secret"] as? String == "unlock_pin")
        #expect(platforms["macos"]?["lock"]?["temporary_passcode"] as? Bool == false)
        #expect(platforms["macos"]?["reset_passcode"]?["support"] as? String == "unsupported")
        #expect(platforms["ios"]?["reset_passcode"]?["secret"] is NSNull)
        #expect(platforms["android_personal_work_profile"]?["lock"]?["support"] as? String == "unsupported")
        #expect(platforms["android_personal_work_profile"]?["reset_passcode"]?["secret"] as? String == "temporary_passcode")
        #expect(platforms["android_personal_work_profile"]?["reset_passcode"]?["temporary_passcode"] as? Bool == true)
        #expect(platforms["android_personal_work_profile"]?["reset_passcode"]?["needs_passcode"] as? Bool == true)
        #expect(platforms["visionos"]?["lock"]?["support"] as? String == "version_at_least_2")
        #expect((object["told_by"] as? [String: String])?["android_aosp"] == "Android + aosp, or AOSP")
        let reasons = try #require(object["reasons"] as? [[String: Any]])
        #expect(reasons.compactMap { $0["code"] as? String } == RuleSet.intune2025.reasons.map(\.code.rawValue))
        #expect(reasons.compactMap { $0["code"] as? String }.firstIndex(of: "management_unsupported")
                == reasons.compactMap { $0["code"] as? String }.firstIndex(of: "software_client_unsupported")! + 1)
        #expect(reasons.first?["check"] as? Int == 1 && reasons.last?["check"] is NSNull)
        #expect(reasons.allSatisfy { ($0["rule"] as? String)?.isEmpty == false })
    }

    @Test("rules --json (intune-2017): the shape of round 1, with the secrets added")
    func json2017() throws {
        let object = try Self.object(.intune2017)
        #expect(object["rule_set"] as? String == "intune-2017")
        let platforms = try #require(object["platforms"] as? [String: [String: [String: Any]]])
        #expect(platforms.count == 9)
        #expect(platforms["windowsrt"]?["reset_passcode"]?["support"] as? String == "unlisted")
        #expect(platforms["windows81"]?["lock"]?["support"] as? String == "same_user_as_enrolled")
        #expect(platforms["android"]?["reset_passcode"]?["temporary_passcode"] as? Bool == true)
        #expect(platforms["android"]?["reset_passcode"]?["secret"] as? String == "temporary_passcode")
        #expect(platforms["ios"]?["reset_passcode"]?["secret"] is NSNull)
        #expect(object["unlock_pin_outstanding_days"] is NSNull)
        let codes = (object["reasons"] as? [[String: Any]])?.compactMap { $0["code"] as? String } ?? []
        #expect(codes.contains("management_unsupported") && !codes.contains("enrollment_unknown"))
    }

    @Test("the table names the set, its sources, each platform with its secrets, and the reasons in order",
          arguments: RuleSet.all)
    func table(rules: RuleSet) {
        let table = RulesDocument(rules: rules).table
        #expect(table.hasPrefix("Rule set \(rules.name)\n"))
        for source in rules.sources { #expect(table.contains(source)) }
        let lines = table.split(separator: "\n", omittingEmptySubsequences: false)
        for id in rules.platforms { #expect(lines.contains { $0.hasPrefix(id.rawValue + " ") }, "\(id)") }
        var position = table.startIndex
        for reason in rules.reasons {
            let found = table.range(of: "  " + reason.code.rawValue + " ", range: position..<table.endIndex)
            #expect(found != nil, "\(reason.code) in order")
            if let found { position = found.upperBound }
        }
    }

    @Test("the tables say what each cell does")
    func tableWords() {
        let old = RulesDocument(rules: .intune2017).table
        #expect(old.contains("if OS version < 7.0, temporary passcode") && old.contains("if current user = enrolling user"))
        let new = RulesDocument(rules: .intune2025).table
        #expect(new.contains("yes, unlock PIN") && new.contains("if OS version >= 2.0") && new.contains("yes, temporary passcode"))
        #expect(new.contains("No user condition in this set."))
        #expect(!new.contains("enrolling_user_unknown"))
    }
}
