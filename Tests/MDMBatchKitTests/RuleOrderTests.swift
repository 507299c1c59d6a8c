import Testing
@testable import MDMBatchKit

/// RULES.md: "Checks run in this order; the first that fails gives the reason code." For
/// each pair of adjacent checks of each set, a request that fails both gets the earlier
/// one's code, and the same request with the earlier failure mended gets the later one's
/// (so it did fail both).
@Suite("Evaluation order of both rule sets")
struct RuleOrderTests {
    static let now: Int64 = 1_795_000_000

    struct Request: Sendable {
        var action: Action?
        var target: TargetResolution
        var duplicate = false
    }

    struct Pair: Sendable, CustomTestStringConvertible {
        var name: String
        var rules: RuleSet
        var failingBoth: Request
        var earlier: ReasonCode
        var mended: Request
        var later: ReasonCode

        var testDescription: String { "\(rules.name): \(name)" }
    }

    static func device(_ os: String, _ version: String? = nil, _ enrollment: Enrollment? = nil, management: Management? = .mdm,
                       passcode: Bool? = true, users: (String?, String?) = ("a@x.com", "a@x.com"),
                       pinOutstanding: Bool = false) -> TargetResolution {
        .device(DeviceFacts(deviceID: "d", osRaw: os, osVersion: version, enrollment: enrollment, management: management,
                            primaryUserUPN: users.0, enrolledByUPN: users.1, passcodeSet: passcode, lastCheckIn: now,
                            earlierMacLock: pinOutstanding ? EarlierMacLock(runID: "run-earlier", state: .succeeded) : nil))
    }

    static func pair(_ name: String, _ rules: RuleSet, _ failingBoth: Request, _ earlier: ReasonCode,
                     mended: Request, _ later: ReasonCode) -> Pair {
        Pair(name: name, rules: rules, failingBoth: failingBoth, earlier: earlier, mended: mended, later: later)
    }

    /// Pairs both sets share: checks 1 to 5.
    static func common(_ rules: RuleSet) -> [Pair] {
        let unlisted = "Tizen"
        return [
            pair("1 request before 2 target", rules, Request(action: nil, target: .unknown), .invalidRequest,
                 mended: Request(action: .lock, target: .unknown), .unknownTarget),
            pair("2 target before 3 duplicate", rules, Request(action: .lock, target: .unknown, duplicate: true), .unknownTarget,
                 mended: Request(action: .lock, target: device("iOS", "17"), duplicate: true), .duplicateRequest),
            pair("3 duplicate before 4 software client", rules,
                 Request(action: .lock, target: device("Windows", "10.0", management: .softwareClient), duplicate: true),
                 .duplicateRequest,
                 mended: Request(action: .lock, target: device("Windows", "10.0", management: .softwareClient)),
                 .softwareClientUnsupported),
            pair("3 duplicate before 4 management other", rules,
                 Request(action: .lock, target: device("iOS", "17", management: .other), duplicate: true), .duplicateRequest,
                 mended: Request(action: .lock, target: device("iOS", "17", management: .other)), .managementUnsupported),
            pair("4 software client before 5 matrix", rules,
                 Request(action: .lock, target: device(unlisted, "1", management: .softwareClient)), .softwareClientUnsupported,
                 mended: Request(action: .lock, target: device(unlisted, "1")), .unlistedPlatform),
            pair("4 management other before 5 matrix", rules,
                 Request(action: .resetPasscode, target: device("macOS", "15", management: .other)), .managementUnsupported,
                 mended: Request(action: .resetPasscode, target: device("macOS", "15")), .unsupportedPlatform),
        ]
    }

    static let intune2017: [Pair] = common(.intune2017) + [
        pair("4 management other before 5 version needed", .intune2017,
             Request(action: .lock, target: device("Windows", nil, management: .other)), .managementUnsupported,
             mended: Request(action: .lock, target: device("Windows", nil)), .osVersionUnknown),
        pair("5 matrix before 6 user condition", .intune2017,
             Request(action: .resetPasscode, target: device("Windows RT 8.1", "6.3", users: ("a@x.com", "b@x.com"))),
             .unsupportedPlatform,
             mended: Request(action: .lock, target: device("Windows RT 8.1", "6.3", users: ("a@x.com", "b@x.com"))),
             .userMismatch),
        pair("5 version needed before 8 passcode", .intune2017,
             Request(action: .lock, target: device("Windows", nil, passcode: false)), .osVersionUnknown,
             mended: Request(action: .lock, target: device("Windows Phone", "8.1", passcode: false)), .noPasscode),
        // 6 and 7 never meet on one cell (user condition: Windows RT/8.1 lock; version: Android
        // reset), nor do 7 and 8 (an Android reset needs no passcode in 2017): 6 before 8 stands for both.
        pair("6 enrolling user before 8 passcode", .intune2017,
             Request(action: .lock, target: device("Windows 8.1", "6.3", passcode: false, users: ("a@x.com", nil))),
             .enrollingUserUnknown,
             mended: Request(action: .lock, target: device("Windows 8.1", "6.3", passcode: false)), .noPasscode),
        pair("6 user mismatch before 8 passcode", .intune2017,
             Request(action: .lock, target: device("WindowsRT", "6.2", passcode: false, users: ("a@x.com", "b@x.com"))),
             .userMismatch,
             mended: Request(action: .lock, target: device("WindowsRT", "6.2", passcode: false)), .noPasscode),
    ]

    static let intune2025: [Pair] = common(.intune2025) + [
        pair("4 software client before 5 enrollment", .intune2025,
             Request(action: .lock, target: device("Android", "14", nil, management: .softwareClient)), .softwareClientUnsupported,
             mended: Request(action: .lock, target: device("Android", "14", nil)), .enrollmentUnknown),
        pair("4 management other before 5 visionOS version", .intune2025,
             Request(action: .lock, target: device("visionOS", "1.0", management: .other)), .managementUnsupported,
             mended: Request(action: .lock, target: device("visionOS", "1.0")), .osVersionUnsupported),
        pair("4 management other before 7 unlock PIN", .intune2025,
             Request(action: .lock, target: device("macOS", "15", management: .other, pinOutstanding: true)), .managementUnsupported,
             mended: Request(action: .lock, target: device("macOS", "15", pinOutstanding: true)), .unlockPINOutstanding),
        // 6 is empty in this set: 5 meets 7 and 8 directly
        pair("5 matrix before 7 unlock PIN", .intune2025,
             Request(action: .resetPasscode, target: device("macOS", "15", pinOutstanding: true)), .unsupportedPlatform,
             mended: Request(action: .lock, target: device("macOS", "15", pinOutstanding: true)), .unlockPINOutstanding),
        pair("5 enrollment before 8 passcode", .intune2025,
             Request(action: .resetPasscode, target: device("Android", "14", nil, passcode: false)), .enrollmentUnknown,
             mended: Request(action: .resetPasscode, target: device("Android", "14", .dedicated, passcode: false)), .noPasscode),
        pair("5 visionOS version unknown before 8 passcode", .intune2025,
             Request(action: .lock, target: device("visionOS", nil, passcode: false)), .osVersionUnknown,
             mended: Request(action: .lock, target: device("visionOS", "2.0", passcode: false)), .noPasscode),
        pair("5 visionOS below 2.0 before 8 passcode", .intune2025,
             Request(action: .lock, target: device("visionOS", "1.1", passcode: false)), .osVersionUnsupported,
             mended: Request(action: .lock, target: device("visionOS", "2.0", passcode: false)), .noPasscode),
        pair("5 matrix before 8 passcode", .intune2025,
             Request(action: .lock, target: device("Android", "14", .personalWorkProfile, passcode: false)), .unsupportedPlatform,
             mended: Request(action: .resetPasscode, target: device("Android", "14", .personalWorkProfile, passcode: false)),
             .noPasscode),
        pair("5 unlisted before 8 passcode", .intune2025,
             Request(action: .lock, target: device("macMDM", "14", passcode: false)), .unlistedPlatform,
             mended: Request(action: .lock, target: device("macOS", "14", passcode: false)), .noPasscode),
        pair("7 unlock PIN before 8 passcode", .intune2025,
             Request(action: .lock, target: device("macOS", "15", passcode: false, pinOutstanding: true)), .unlockPINOutstanding,
             mended: Request(action: .lock, target: device("macOS", "15", passcode: false)), .noPasscode),
    ]

    @Test("a request failing two adjacent checks gets the earlier one's code", arguments: intune2017 + intune2025)
    func order(_ pair: Pair) {
        func verdict(_ request: Request) -> Verdict {
            Evaluation.verdict(action: request.action, target: request.target, duplicate: request.duplicate,
                               rules: pair.rules, now: Self.now)
        }
        #expect(verdict(pair.failingBoth).reason == pair.earlier)
        #expect(verdict(pair.mended).reason == pair.later)
    }

    @Test("each set's reasons are listed in check order, run-time skips last", arguments: RuleSet.all)
    func reasonsInOrder(rules: RuleSet) {
        let checks = rules.reasons.map(\.check)
        let numbered = checks.prefix { $0 != nil }.map { $0! }
        #expect(numbered == numbered.sorted())
        #expect(checks.suffix(from: numbered.count).allSatisfy { $0 == nil })
        #expect(rules.reasons.suffix(2).map(\.code) == [.alreadyDone, .unknownEarlier])
        #expect(Set(rules.reasons.map(\.code)).count == rules.reasons.count, "each code once")
        for reason in rules.reasons where reason.check != nil {
            #expect(reason.rule.hasPrefix("\(reason.check!).") || reason.rule.hasPrefix("\(reason.check!)/"), "\(reason.code)")
            #expect(reason.code.rule(in: rules) == reason.rule)
        }
    }
}
