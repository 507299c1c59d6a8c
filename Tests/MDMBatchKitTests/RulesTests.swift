import Testing
@testable import MDMBatchKit

@Suite("Platform rules (RULES.md)")
struct RulesTests {
    static let now: Int64 = 1_795_000_000  // 2026-11-18

    /// A device that passes every check but the matrix: same users, passcode set, Android below 7.
    static func device(_ platform: PlatformID, version: String? = nil) -> DeviceFacts {
        DeviceFacts(deviceID: "d", platform: .platform(platform),
                    osVersion: version ?? (platform == .android ? "6.0.1" : "10.0"), management: .mdm,
                    primaryUserUPN: "a@x.com", enrolledByUPN: "a@x.com", passcodeSet: true, lastCheckIn: now)
    }

    static func verdict(_ action: Action?, _ device: DeviceFacts, duplicate: Bool = false) -> Verdict {
        Evaluation.verdict(action: action, target: .device(device), duplicate: duplicate, rules: .intune2017, now: now)
    }

    /// Every cell of the matrix: (platform, action, reason or nil when accepted, temporary passcode).
    static let matrix: [(PlatformID, Action, ReasonCode?, Bool)] = [
        (.macos, .lock, .unsupportedPlatform, false), (.macos, .resetPasscode, .unsupportedPlatform, false),
        (.ios, .lock, nil, false), (.ios, .resetPasscode, nil, false),
        (.android, .lock, nil, false), (.android, .resetPasscode, nil, true),
        (.windows10mobile, .lock, nil, false), (.windows10mobile, .resetPasscode, nil, true),
        (.windows10desktop, .lock, .unsupportedPlatform, false), (.windows10desktop, .resetPasscode, .unsupportedPlatform, false),
        (.windowsphone8, .lock, nil, false), (.windowsphone8, .resetPasscode, nil, true),
        (.windowsrt81, .lock, nil, false), (.windowsrt81, .resetPasscode, .unsupportedPlatform, false),
        (.windowsrt, .lock, nil, false), (.windowsrt, .resetPasscode, .unlistedPlatform, false),
        (.windows81, .lock, nil, false), (.windows81, .resetPasscode, .unsupportedPlatform, false),
    ]

    @Test("every cell of the matrix", arguments: matrix.indices)
    func matrixCell(index: Int) {
        let (platform, action, reason, temporary) = Self.matrix[index]
        let result = Self.verdict(action, Self.device(platform))
        #expect(result.reason == reason, "\(platform) \(action)")
        #expect(result.temporaryPasscode == temporary, "\(platform) \(action)")
        #expect(result.secret == (temporary ? .temporaryPasscode : nil), "\(platform) \(action)")
        #expect(RuleSet.intune2017.cell(platform, action).temporaryPasscode == temporary)
    }

    @Test("the matrix covers every platform and action, and nothing else is listed")
    func matrixIsComplete() {
        let platforms: [PlatformID] = [.macos, .ios, .android, .windows10mobile, .windows10desktop, .windowsphone8,
                                       .windowsrt81, .windowsrt, .windows81]
        #expect(Self.matrix.count == platforms.count * Action.allCases.count)
        #expect(RuleSet.intune2017.platforms == platforms)
    }

    /// One case per reason code of RULES.md: (name, action, target, duplicate, expected).
    static let reasons: [(String, Action?, TargetResolution, Bool, ReasonCode)] = [
        ("invalid action", nil, .device(device(.ios)), false, .invalidRequest),
        ("unknown target", .lock, .unknown, false, .unknownTarget),
        ("ambiguous serial", .lock, .ambiguous(deviceIDs: ["a", "b"]), false, .ambiguousTarget),
        ("user without devices", .lock, .userWithoutDevices, false, .noDevicesForUser),
        ("duplicate", .lock, .device(device(.ios)), true, .duplicateRequest),
        ("software client", .lock, .device({ var d = device(.windows81); d.management = .softwareClient; return d }()), false, .softwareClientUnsupported),
        ("management other", .lock, .device({ var d = device(.ios); d.management = .other; return d }()), false, .managementUnsupported),
        ("unlisted platform", .lock, .device(DeviceFacts(deviceID: "d", platform: .unlisted)), false, .unlistedPlatform),
        ("Windows without version", .lock, .device(DeviceFacts(deviceID: "d", platform: .versionNeeded)), false, .osVersionUnknown),
        ("matrix says no", .lock, .device(device(.macos)), false, .unsupportedPlatform),
        ("matrix leaves it unlisted", .resetPasscode, .device(device(.windowsrt)), false, .unlistedPlatform),
        ("enrolling user empty", .lock, .device({ var d = device(.windows81); d.enrolledByUPN = ""; return d }()), false, .enrollingUserUnknown),
        ("current user empty", .lock, .device({ var d = device(.windowsrt81); d.primaryUserUPN = nil; return d }()), false, .enrollingUserUnknown),
        ("users differ", .lock, .device({ var d = device(.windowsrt); d.enrolledByUPN = "b@x.com"; return d }()), false, .userMismatch),
        ("Android reset, no version", .resetPasscode, .device({ var d = device(.android); d.osVersion = nil; return d }()), false, .osVersionUnknown),
        ("Android reset, unparsable version", .resetPasscode, .device(device(.android, version: "Nougat")), false, .osVersionUnknown),
        ("Android 7.0 reset", .resetPasscode, .device(device(.android, version: "7.0")), false, .osVersionUnsupported),
        ("lock without passcode", .lock, .device({ var d = device(.ios); d.passcodeSet = false; return d }()), false, .noPasscode),
    ]

    @Test("each reason code of RULES.md", arguments: reasons.indices)
    func reasonCode(index: Int) {
        let (name, action, target, duplicate, expected) = Self.reasons[index]
        let result = Evaluation.verdict(action: action, target: target, duplicate: duplicate, rules: .intune2017, now: Self.now)
        #expect(result.reason == expected, "\(name)")
        #expect(result.warnings.isEmpty && !result.temporaryPasscode, "\(name): a rejection carries no warning")
    }

    @Test("every reason code of the set but the run-time skips is reachable from the rules")
    func allReasonsCovered() {
        let covered = Set(Self.reasons.map(\.4)).union(Self.matrix.compactMap(\.2))
        #expect(covered == Set(RuleSet.intune2017.reasons.filter { $0.check != nil }.map(\.code)))
        #expect(covered == Set(ReasonCode.allCases).subtracting([.alreadyDone, .unknownEarlier, .enrollmentUnknown, .unlockPINOutstanding]))
    }

    @Test("management other is refused on every platform of the set, right after the software client",
          arguments: [PlatformID.macos, .ios, .android, .windows10mobile, .windows10desktop, .windowsphone8, .windowsrt81,
                      .windowsrt, .windows81])
    func managementOther(platform: PlatformID) {
        var device = Self.device(platform)
        device.management = .other
        for action in Action.allCases {
            #expect(Self.verdict(action, device).reason == .managementUnsupported, "\(platform) \(action)")
        }
        device.platform = .unlisted
        #expect(Self.verdict(.lock, device).reason == .managementUnsupported, "before the matrix")
        device.management = .softwareClient
        #expect(Self.verdict(.lock, device).reason == .softwareClientUnsupported)
    }

    @Test("Android 6.0.1 resets with a temporary passcode, 7.0 and 7.1.2 are refused, 5.1 accepted",
          arguments: [("6.0.1", nil), ("7.0", ReasonCode.osVersionUnsupported), ("7.1.2", .osVersionUnsupported),
                      ("5.1", nil), ("6.99", nil), ("13", .osVersionUnsupported)])
    func androidVersions(version: String, expected: ReasonCode?) {
        let result = Self.verdict(.resetPasscode, Self.device(.android, version: version))
        #expect(result.reason == expected)
        #expect(result.temporaryPasscode == (expected == nil))
    }

    @Test("the user condition compares current and enrolling user regardless of case",
          arguments: [PlatformID.windowsrt81, .windowsrt, .windows81])
    func userConditionIgnoresCase(platform: PlatformID) {
        var device = Self.device(platform)
        device.primaryUserUPN = "DKim@Contoso.com"
        device.enrolledByUPN = "dkim@contoso.com"
        #expect(Self.verdict(.lock, device).accepted)
    }

    @Test("checks run in order: the first failure gives the reason")
    func evaluationOrder() {
        // invalid action beats an unknown target
        #expect(Evaluation.verdict(action: nil, target: .unknown, duplicate: false, rules: .intune2017, now: Self.now).reason == .invalidRequest)
        // a duplicate beats a platform that says no
        #expect(Self.verdict(.lock, Self.device(.macos), duplicate: true).reason == .duplicateRequest)
        // software client beats an unlisted platform
        var agent = DeviceFacts(deviceID: "d", platform: .unlisted, management: .softwareClient)
        #expect(Self.verdict(.lock, agent).reason == .softwareClientUnsupported)
        // the matrix beats the user condition and the passcode
        agent = Self.device(.macos)
        agent.passcodeSet = false
        #expect(Self.verdict(.lock, agent).reason == .unsupportedPlatform)
        // the user condition beats the passcode
        var rt = Self.device(.windowsrt81)
        rt.enrolledByUPN = "other@x.com"
        rt.passcodeSet = false
        #expect(Self.verdict(.lock, rt).reason == .userMismatch)
        // a reset does not need a passcode
        var phone = Self.device(.ios)
        phone.passcodeSet = false
        #expect(Self.verdict(.resetPasscode, phone).accepted)
    }

    @Test("warnings never reject: unknown passcode state, unknown management, stale device")
    func warnings() {
        var device = Self.device(.ios)
        device.passcodeSet = nil
        device.management = nil
        device.lastCheckIn = Self.now - 31 * 86_400
        let lock = Self.verdict(.lock, device)
        #expect(lock.accepted)
        #expect(lock.warnings == [.passcodeStateUnknown, .managementUnknown, .staleDevice])
        let reset = Self.verdict(.resetPasscode, device)
        #expect(reset.warnings == [.managementUnknown, .staleDevice])
        device.lastCheckIn = Self.now - 29 * 86_400
        #expect(Self.verdict(.resetPasscode, device).warnings == [.managementUnknown])
    }

    @Test("action and target type aliases", arguments: [
        ("lock", Action.lock), ("remote_lock", .lock), ("Remote-Lock", .lock), ("reset_passcode", .resetPasscode),
        ("resetPasscode", .resetPasscode), ("passcode_reset", .resetPasscode),
    ])
    func actionAliases(name: String, expected: Action) {
        #expect(Action(name: name) == expected)
    }

    @Test("unknown actions are invalid", arguments: ["wipe", "retire", "", "lock!"])
    func unknownActions(name: String) {
        #expect(Action(name: name) == nil)
    }
}
