import Testing
@testable import MDMBatchKit

/// RULES.md, "Rule set `intune-2025`": every row of the section is one case of one table.
@Suite("Rule set intune-2025 (RULES.md)")
struct Rules2025Tests {
    static let now = TestSupport.now

    /// One row: a request, the device it names, and what the set must say of it.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var action: Action?
        var target: TargetResolution
        var duplicate = false
        /// The device's platform under intune-2025 (checked when the target is a device).
        var platform: PlatformResolution?
        var reason: ReasonCode?
        var secret: SecretKind?
        var warnings: [Warning] = []

        var testDescription: String { name }
    }

    /// A device that passes every check but the ones a case is about: managed by MDM,
    /// passcode set, seen today, no unlock PIN outstanding.
    static func device(_ os: String, _ version: String? = nil, _ enrollment: Enrollment? = nil,
                       management: Management? = .mdm, passcode: Bool? = true, pinOutstanding: Bool = false,
                       lastCheckIn: Int64? = now) -> DeviceFacts {
        DeviceFacts(deviceID: "d", osRaw: os, osVersion: version, enrollment: enrollment, management: management,
                    primaryUserUPN: "a@x.com", enrolledByUPN: "a@x.com", passcodeSet: passcode, lastCheckIn: lastCheckIn,
                    earlierMacLock: pinOutstanding ? EarlierMacLock(runID: "run-earlier", state: .succeeded) : nil)
    }

    static func accepted(_ name: String, _ action: Action, _ device: DeviceFacts, _ platform: PlatformID,
                         secret: SecretKind? = nil, warnings: [Warning] = []) -> Case {
        Case(name: name, action: action, target: .device(device), platform: .platform(platform), reason: nil, secret: secret,
             warnings: warnings)
    }

    static func rejected(_ name: String, _ action: Action?, _ device: DeviceFacts, _ platform: PlatformResolution,
                         _ reason: ReasonCode, duplicate: Bool = false) -> Case {
        Case(name: name, action: action, target: .device(device), duplicate: duplicate, platform: platform, reason: reason)
    }

    static func rejected(_ name: String, _ action: Action?, _ target: TargetResolution, _ reason: ReasonCode) -> Case {
        Case(name: name, action: action, target: target, reason: reason)
    }

    /// "The matrix": each cell, for both actions, with the secret it makes.
    static let matrix: [Case] = [
        accepted("ios lock", .lock, device("iOS", "18.1"), .ios),
        accepted("ios reset removes the passcode, no secret", .resetPasscode, device("iOS", "18.1"), .ios),
        accepted("macos lock sets an unlock PIN", .lock, device("macOS", "15.1"), .macos, secret: .unlockPIN),
        rejected("macos reset", .resetPasscode, device("macOS", "15.1"), .platform(.macos), .unsupportedPlatform),
        accepted("visionos lock, 2.0", .lock, device("visionOS", "2.0"), .visionos),
        rejected("visionos reset", .resetPasscode, device("visionOS", "2.0"), .platform(.visionos), .unsupportedPlatform),
        accepted("android_dedicated lock", .lock, device("Android", "15", .dedicated), .androidDedicated),
        accepted("android_dedicated reset: device passcode", .resetPasscode, device("Android", "15", .dedicated),
                 .androidDedicated, secret: .temporaryPasscode),
        accepted("android_fully_managed lock", .lock, device("Android", "14", .fullyManaged), .androidFullyManaged),
        accepted("android_fully_managed reset: work-profile passcode", .resetPasscode, device("Android", "14", .fullyManaged),
                 .androidFullyManaged, secret: .temporaryPasscode),
        accepted("android_corporate_work_profile lock", .lock, device("Android", "13", .corporateWorkProfile),
                 .androidCorporateWorkProfile),
        accepted("android_corporate_work_profile reset", .resetPasscode, device("Android", "13", .corporateWorkProfile),
                 .androidCorporateWorkProfile, secret: .temporaryPasscode),
        rejected("android_personal_work_profile lock: no", .lock, device("Android", "13", .personalWorkProfile),
                 .platform(.androidPersonalWorkProfile), .unsupportedPlatform),
        accepted("android_personal_work_profile reset: yes", .resetPasscode, device("Android", "13", .personalWorkProfile),
                 .androidPersonalWorkProfile, secret: .temporaryPasscode),
        accepted("android_aosp lock", .lock, device("Android", "12", .aosp), .androidAOSP),
        accepted("android_aosp reset: device passcode", .resetPasscode, device("Android", "12", .aosp), .androidAOSP,
                 secret: .temporaryPasscode),
        rejected("android_device_admin lock", .lock, device("Android", "9", .deviceAdmin), .platform(.androidDeviceAdmin),
                 .unsupportedPlatform),
        rejected("android_device_admin reset", .resetPasscode, device("Android", "9", .deviceAdmin),
                 .platform(.androidDeviceAdmin), .unsupportedPlatform),
        rejected("windows lock", .lock, device("Windows", "10.0.22631"), .platform(.windows), .unsupportedPlatform),
        rejected("windows reset", .resetPasscode, device("Windows", "10.0.22631"), .platform(.windows), .unsupportedPlatform),
        rejected("linux lock", .lock, device("Ubuntu", "22.04"), .platform(.linux), .unsupportedPlatform),
        rejected("linux reset", .resetPasscode, device("Ubuntu", "22.04"), .platform(.linux), .unsupportedPlatform),
        rejected("chromeos lock", .lock, device("ChromeOS", "120"), .platform(.chromeos), .unsupportedPlatform),
        rejected("chromeos reset", .resetPasscode, device("ChromeOS", "120"), .platform(.chromeos), .unsupportedPlatform),
        rejected("anything else: lock not listed", .lock, device("Tizen", "5.5"), .unlisted, .unlistedPlatform),
        rejected("anything else: reset not listed", .resetPasscode, device("Tizen", "5.5"), .unlisted, .unlistedPlatform),
    ]

    /// "Platforms under this set": every name, read from os_raw (and version, enrollment).
    /// Each names a device to lock; the lock's verdict follows from the platform.
    static let naming: [Case] = [
        accepted("iOS", .lock, device("iOS", "17.2"), .ios),
        accepted("iPadOS", .lock, device("iPadOS", nil), .ios),
        accepted("iOS/iPadOS", .lock, device("iOS/iPadOS", "16"), .ios),
        accepted("iPhone", .lock, device("iPhone", "15.1"), .ios),
        accepted("iPad", .lock, device("iPad", nil), .ios),
        accepted("iPod", .lock, device("iPod", "9.3.5"), .ios),
        accepted("macOS", .lock, device("macOS", "14.2"), .macos, secret: .unlockPIN),
        accepted("Mac OS X", .lock, device("Mac OS X", "10.15.7"), .macos, secret: .unlockPIN),
        accepted("OS X", .lock, device("OS X", nil), .macos, secret: .unlockPIN),
        accepted("Mac", .lock, device("Mac", "13"), .macos, secret: .unlockPIN),
        accepted("visionOS 2.0", .lock, device("visionOS", "2.0"), .visionos),
        accepted("visionOS 2.1.1", .lock, device("visionOS", "2.1.1"), .visionos),
        accepted("visionOS 26.0", .lock, device("visionOS", "26.0"), .visionos),
        rejected("visionOS 1.3: below 2.0", .lock, device("visionOS", "1.3"), .platform(.visionos), .osVersionUnsupported),
        rejected("visionOS 1.0: below 2.0", .lock, device("visionOS", "1.0.1"), .platform(.visionos), .osVersionUnsupported),
        rejected("visionOS without a version", .lock, device("visionOS", nil), .platform(.visionos), .osVersionUnknown),
        rejected("visionOS, empty version", .lock, device("visionOS", ""), .platform(.visionos), .osVersionUnknown),
        rejected("visionOS, unparsable version", .lock, device("visionOS", "beta"), .platform(.visionos), .osVersionUnknown),
        accepted("Apple Vision 2.0", .lock, device("Apple Vision", "2.0"), .visionos),
        rejected("Apple Vision 1.2", .lock, device("Apple Vision", "1.2"), .platform(.visionos), .osVersionUnsupported),
        rejected("Apple Vision without a version", .lock, device("Apple Vision", nil), .platform(.visionos), .osVersionUnknown),
        accepted("Android + dedicated", .lock, device("Android", "14", .dedicated), .androidDedicated),
        accepted("Android + fully_managed", .lock, device("Android", "14", .fullyManaged), .androidFullyManaged),
        accepted("Android + corporate_work_profile", .lock, device("Android", "14", .corporateWorkProfile),
                 .androidCorporateWorkProfile),
        rejected("Android + personal_work_profile", .lock, device("Android", "14", .personalWorkProfile),
                 .platform(.androidPersonalWorkProfile), .unsupportedPlatform),
        accepted("Android + aosp", .lock, device("Android", "14", .aosp), .androidAOSP),
        rejected("Android + device_admin", .lock, device("Android", "8.1", .deviceAdmin), .platform(.androidDeviceAdmin),
                 .unsupportedPlatform),
        rejected("Android, enrollment empty", .lock, device("Android", "14", nil), .enrollmentUnknown, .enrollmentUnknown),
        rejected("Android reset, enrollment empty", .resetPasscode, device("Android", "6.0", nil), .enrollmentUnknown,
                 .enrollmentUnknown),
        accepted("AndroidForWork + corporate_work_profile", .lock, device("AndroidForWork", "12", .corporateWorkProfile),
                 .androidCorporateWorkProfile),
        rejected("AndroidForWork, enrollment empty", .lock, device("AndroidForWork", "12", nil), .enrollmentUnknown,
                 .enrollmentUnknown),
        accepted("AndroidEnterprise + fully_managed", .lock, device("AndroidEnterprise", "13", .fullyManaged),
                 .androidFullyManaged),
        rejected("AndroidEnterprise, enrollment empty", .lock, device("AndroidEnterprise", "13", nil), .enrollmentUnknown,
                 .enrollmentUnknown),
        accepted("Android (work profile) + personal_work_profile reset", .resetPasscode,
                 device("Android (work profile)", "13", .personalWorkProfile), .androidPersonalWorkProfile,
                 secret: .temporaryPasscode),
        rejected("Android (work profile), enrollment empty: nothing guessed", .lock, device("Android (work profile)", "13", nil),
                 .enrollmentUnknown, .enrollmentUnknown),
        accepted("AOSP as the OS, enrollment empty", .lock, device("AOSP", "13", nil), .androidAOSP),
        accepted("AOSP as the OS, enrollment aosp", .resetPasscode, device("AOSP", "13", .aosp), .androidAOSP,
                 secret: .temporaryPasscode),
        accepted("AOSP as the OS wins over another enrollment", .lock, device("AOSP", "13", .deviceAdmin), .androidAOSP),
        rejected("Windows", .lock, device("Windows", "10.0.19045.3803"), .platform(.windows), .unsupportedPlatform),
        rejected("Windows without a version: no version needed", .lock, device("Windows", nil), .platform(.windows),
                 .unsupportedPlatform),
        rejected("Windows 10", .lock, device("Windows 10", "10.0.19045"), .platform(.windows), .unsupportedPlatform),
        rejected("Windows 11", .lock, device("Windows 11", "10.0.22631"), .platform(.windows), .unsupportedPlatform),
        rejected("Windows 8.1", .lock, device("Windows 8.1", "6.3.9600"), .platform(.windows), .unsupportedPlatform),
        rejected("Windows 7", .lock, device("Windows 7", "6.1"), .platform(.windows), .unsupportedPlatform),
        rejected("Windows Phone", .lock, device("Windows Phone", "8.10.14219.341"), .platform(.windows), .unsupportedPlatform),
        rejected("WindowsPhone", .resetPasscode, device("WindowsPhone", "10.0"), .platform(.windows), .unsupportedPlatform),
        rejected("Windows 10 Mobile", .lock, device("Windows 10 Mobile", "10.0.15063"), .platform(.windows),
                 .unsupportedPlatform),
        rejected("Windows Mobile", .resetPasscode, device("Windows Mobile", nil), .platform(.windows), .unsupportedPlatform),
        rejected("Windows RT", .lock, device("Windows RT", "6.2.9200"), .platform(.windows), .unsupportedPlatform),
        rejected("Windows RT 8.1", .lock, device("Windows RT 8.1", "6.3"), .platform(.windows), .unsupportedPlatform),
        rejected("WindowsRT", .lock, device("WindowsRT", nil), .platform(.windows), .unsupportedPlatform),
        rejected("Windows Desktop", .lock, device("Windows Desktop", "10.0"), .platform(.windows), .unsupportedPlatform),
        rejected("Windows Holographic", .lock, device("Windows Holographic", "10.0.20348"), .platform(.windows),
                 .unsupportedPlatform),
        rejected("windows_server (loosely)", .lock, device("windows_server", "10.0"), .platform(.windows), .unsupportedPlatform),
        rejected("Linux", .lock, device("Linux", "6.5"), .platform(.linux), .unsupportedPlatform),
        rejected("Ubuntu", .lock, device("Ubuntu", "24.04"), .platform(.linux), .unsupportedPlatform),
        rejected("RHEL", .lock, device("RHEL", "9.3"), .platform(.linux), .unsupportedPlatform),
        rejected("Red Hat", .resetPasscode, device("Red Hat", "8"), .platform(.linux), .unsupportedPlatform),
        rejected("Debian", .lock, device("Debian", "12"), .platform(.linux), .unsupportedPlatform),
        rejected("ChromeOS", .lock, device("ChromeOS", "120"), .platform(.chromeos), .unsupportedPlatform),
        rejected("Chrome OS", .resetPasscode, device("Chrome OS", "121"), .platform(.chromeos), .unsupportedPlatform),
        rejected("something unlisted: Tizen", .lock, device("Tizen", "7"), .unlisted, .unlistedPlatform),
        rejected("something unlisted: tvOS", .lock, device("tvOS", "18"), .unlisted, .unlistedPlatform),
        rejected("something unlisted: empty OS", .lock, device("", nil), .unlisted, .unlistedPlatform),
        // 2017 names the 2025 list does not carry (RULES.md read as written)
        rejected("Desktop alone does not start with Windows", .lock, device("Desktop", "10.0"), .unlisted, .unlistedPlatform),
        rejected("macMDM is not in the 2025 list", .lock, device("macMDM", "14"), .unlisted, .unlistedPlatform),
        // matched like the 2017 table: case, spaces, _, - and parentheses ignored
        accepted("IPADOS", .lock, device("IPADOS", "17"), .ios),
        accepted("mac_os_x", .lock, device("mac_os_x", "10.15"), .macos, secret: .unlockPIN),
        accepted("Vision OS", .lock, device("Vision OS", "2.2"), .visionos),
        accepted("apple-vision", .lock, device("apple-vision", "2.0"), .visionos),
        accepted("ANDROID(WORK PROFILE) + corporate_work_profile", .lock,
                 device("ANDROID(WORK PROFILE)", "14", .corporateWorkProfile), .androidCorporateWorkProfile),
        accepted("aosp", .lock, device("aosp", "12"), .androidAOSP),
        rejected("red_hat", .lock, device("red_hat", "9"), .platform(.linux), .unsupportedPlatform),
        rejected("chrome-os", .lock, device("chrome-os", "120"), .platform(.chromeos), .unsupportedPlatform),
        rejected("WINDOWS-PHONE", .lock, device("WINDOWS-PHONE", "8.1"), .platform(.windows), .unsupportedPlatform),
        // enrollment is kept, and ignored, off Android
        accepted("iOS with an enrollment", .lock, device("iOS", "17", .personalWorkProfile), .ios),
        rejected("Windows with an enrollment", .lock, device("Windows", "10.0", .dedicated), .platform(.windows),
                 .unsupportedPlatform),
    ]

    /// "Evaluation order and reason codes": each code of the table, where it applies and
    /// where it does not.
    static let reasons: [Case] = [
        // 1–3 as in 2017
        rejected("1. invalid action", nil, device("iOS", "17"), .platform(.ios), .invalidRequest),
        rejected("2. unknown target", .lock, .unknown, .unknownTarget),
        rejected("2. ambiguous serial", .lock, .ambiguous(deviceIDs: ["a", "b"]), .ambiguousTarget),
        rejected("2. user without devices", .lock, .userWithoutDevices, .noDevicesForUser),
        rejected("3. duplicate", .lock, device("iOS", "17"), .platform(.ios), .duplicateRequest, duplicate: true),
        // 4
        rejected("4. software client PC", .lock, device("Windows", "10.0", management: .softwareClient), .platform(.windows),
                 .softwareClientUnsupported),
        rejected("4. software client, on a platform that would say yes", .resetPasscode,
                 device("iOS", "17", management: .softwareClient), .platform(.ios), .softwareClientUnsupported),
        rejected("4. management other, iOS lock", .lock, device("iOS", "17", management: .other), .platform(.ios),
                 .managementUnsupported),
        rejected("4. management other, macOS lock", .lock, device("macOS", "15", management: .other), .platform(.macos),
                 .managementUnsupported),
        rejected("4. management other, Android reset", .resetPasscode, device("Android", "14", .dedicated, management: .other),
                 .platform(.androidDedicated), .managementUnsupported),
        rejected("4. management other, unlisted platform", .lock, device("Tizen", "7", management: .other), .unlisted,
                 .managementUnsupported),
        accepted("4. eas is a target", .lock, device("iOS", "17", management: .eas), .ios),
        accepted("4. eas_mdm is a target", .resetPasscode, device("Android", "14", .fullyManaged, management: .easMDM),
                 .androidFullyManaged, secret: .temporaryPasscode),
        // 5 (enrollment_unknown, os_version_unknown/unsupported, unsupported_platform, unlisted_platform: see above)
        rejected("5. visionOS 1.5 reset: the matrix says no", .resetPasscode, device("visionOS", "1.5"), .platform(.visionos),
                 .unsupportedPlatform),
        rejected("5. visionOS reset without a version: the matrix says no", .resetPasscode, device("visionOS", nil),
                 .platform(.visionos), .unsupportedPlatform),
        // 6: no user condition
        accepted("6. users differ: no user condition", .lock,
                 { var d = device("Android", "14", .dedicated); d.enrolledByUPN = "b@x.com"; return d }(), .androidDedicated),
        accepted("6. users unknown: no user condition", .lock,
                 { var d = device("iOS", "17"); d.primaryUserUPN = nil; d.enrolledByUPN = ""; return d }(), .ios),
        // 7
        rejected("7. macOS lock, unlock PIN outstanding", .lock, device("macOS", "15", pinOutstanding: true),
                 .platform(.macos), .unlockPINOutstanding),
        rejected("7. Mac OS X lock, unlock PIN outstanding", .lock, device("Mac OS X", "10.15", pinOutstanding: true),
                 .platform(.macos), .unlockPINOutstanding),
        rejected("7. macOS reset with a PIN outstanding: the matrix says no", .resetPasscode,
                 device("macOS", "15", pinOutstanding: true), .platform(.macos), .unsupportedPlatform),
        accepted("7. only an unlock-PIN lock waits: iOS lock", .lock, device("iOS", "17", pinOutstanding: true), .ios),
        accepted("7. only an unlock-PIN lock waits: Android lock", .lock, device("Android", "14", .aosp, pinOutstanding: true),
                 .androidAOSP),
        // 8
        rejected("8. iOS lock without passcode", .lock, device("iOS", "17", passcode: false), .platform(.ios), .noPasscode),
        rejected("8. macOS lock without passcode", .lock, device("macOS", "15", passcode: false), .platform(.macos), .noPasscode),
        rejected("8. visionOS lock without passcode", .lock, device("visionOS", "2.0", passcode: false), .platform(.visionos),
                 .noPasscode),
        rejected("8. Android lock without passcode", .lock, device("Android", "14", .dedicated, passcode: false),
                 .platform(.androidDedicated), .noPasscode),
        rejected("8. Android dedicated reset without passcode", .resetPasscode, device("Android", "14", .dedicated, passcode: false),
                 .platform(.androidDedicated), .noPasscode),
        rejected("8. Android fully managed reset without passcode", .resetPasscode,
                 device("Android", "14", .fullyManaged, passcode: false), .platform(.androidFullyManaged), .noPasscode),
        rejected("8. Android corporate work profile reset without passcode", .resetPasscode,
                 device("Android", "14", .corporateWorkProfile, passcode: false), .platform(.androidCorporateWorkProfile),
                 .noPasscode),
        rejected("8. Android personal work profile reset without passcode", .resetPasscode,
                 device("Android", "14", .personalWorkProfile, passcode: false), .platform(.androidPersonalWorkProfile),
                 .noPasscode),
        rejected("8. AOSP reset without passcode", .resetPasscode, device("AOSP", "12", passcode: false), .platform(.androidAOSP),
                 .noPasscode),
        accepted("8. an iOS reset needs no passcode", .resetPasscode, device("iOS", "17", passcode: false), .ios),
        // warnings, as in 2017; passcode state where check 8 needs it
        accepted("warning: lock, passcode state unknown", .lock, device("iOS", "17", passcode: nil), .ios,
                 warnings: [.passcodeStateUnknown]),
        accepted("warning: Android reset, passcode state unknown", .resetPasscode, device("Android", "14", .aosp, passcode: nil),
                 .androidAOSP, secret: .temporaryPasscode, warnings: [.passcodeStateUnknown]),
        accepted("warning: an iOS reset does not ask for the passcode state", .resetPasscode,
                 device("iOS", "17", passcode: nil), .ios),
        accepted("warning: management unknown, taken as mdm", .lock, device("macOS", "15", management: nil), .macos,
                 secret: .unlockPIN, warnings: [.managementUnknown]),
        accepted("warning: stale device", .lock, device("iOS", "17", lastCheckIn: now - 31 * 86_400), .ios,
                 warnings: [.staleDevice]),
        accepted("warning: 29 days is not stale", .lock, device("iOS", "17", lastCheckIn: now - 29 * 86_400), .ios),
        accepted("warning: all three", .lock, device("visionOS", "2.0", management: nil, passcode: nil, lastCheckIn: now - 40 * 86_400),
                 .visionos, warnings: [.passcodeStateUnknown, .managementUnknown, .staleDevice]),
    ]

    static let table = matrix + naming + reasons

    @Test("every row of RULES.md's intune-2025 section", arguments: table)
    func row(_ row: Case) {
        let verdict = Evaluation.verdict(action: row.action, target: row.target, duplicate: row.duplicate,
                                         rules: .intune2025, now: Self.now)
        #expect(verdict.reason == row.reason)
        #expect(verdict.secret == row.secret)
        #expect(verdict.temporaryPasscode == (row.secret == .temporaryPasscode))
        #expect(verdict.warnings == row.warnings)
        if case .device(let facts) = row.target, let platform = row.platform {
            #expect(RuleSet.intune2025.platform(of: facts) == platform)
        }
    }

    // The table above is meant to be whole: these say so.

    @Test("the table holds each cell of the matrix, for both actions")
    func tableCoversTheMatrix() {
        var cells = Set<String>()
        for row in Self.matrix {
            if case .platform(let id) = row.platform, let action = row.action { cells.insert("\(id.rawValue) \(action.rawValue)") }
        }
        let expected = RuleSet.intune2025.platforms.flatMap { id in Action.allCases.map { "\(id.rawValue) \($0.rawValue)" } }
        #expect(cells == Set(expected))
    }

    @Test("the table holds each name of the section and each enrollment")
    func tableCoversTheNames() {
        let named = Set(Self.naming.compactMap { row -> String? in
            guard case .device(let facts) = row.target else { return nil }
            return facts.osRaw
        })
        for (name, _) in Intune2025Platforms.names { #expect(named.contains(name), "\(name)") }
        let enrollments = Set(Self.naming.compactMap { row -> Enrollment? in
            guard case .device(let facts) = row.target, facts.osRaw == "Android" else { return nil }
            return facts.enrollment
        })
        #expect(enrollments == Set(Enrollment.allCases))
    }

    @Test("the table gives every reason code of the set's checks")
    func tableCoversTheReasons() {
        let given = Set(Self.table.compactMap(\.reason))
        let checks = Set(RuleSet.intune2025.reasons.filter { $0.check != nil }.map(\.code))
        #expect(given == checks)
        #expect(!checks.contains(.enrollingUserUnknown) && !checks.contains(.userMismatch))
    }
}
