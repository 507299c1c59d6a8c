import Testing
@testable import MDMBatchKit

@Suite("Platform normalisation (RULES.md, Normalising platforms)")
struct PlatformNormalisationTests {
    /// Every row of the table: (platform, version, expected).
    static let table: [(String, String?, PlatformResolution)] = [
        ("iOS", "17.2", .platform(.ios)), ("iPadOS", nil, .platform(.ios)), ("iOS/iPadOS", "16", .platform(.ios)),
        ("iPhone", "15.1", .platform(.ios)), ("iPad", nil, .platform(.ios)), ("iPod", "9.3.5", .platform(.ios)),
        ("macOS", "14.2", .platform(.macos)), ("Mac OS X", "10.15.7", .platform(.macos)), ("OS X", nil, .platform(.macos)),
        ("Mac", nil, .platform(.macos)), ("macMDM", "13", .platform(.macos)),
        ("Android", "6.0.1", .platform(.android)), ("AndroidForWork", "7.0", .platform(.android)),
        ("AndroidEnterprise", "12", .platform(.android)), ("Android (work profile)", "5.1", .platform(.android)),
        ("Windows 10 Mobile", "10.0.15063", .platform(.windows10mobile)), ("Windows Mobile", nil, .platform(.windows10mobile)),
        ("WindowsMobile", "10.0", .platform(.windows10mobile)),
        ("WindowsPhone", "10.0.14393.2007", .platform(.windows10mobile)), ("Windows Phone", "10.0", .platform(.windows10mobile)),
        ("Windows Phone", "8.10.14219.341", .platform(.windowsphone8)), ("WindowsPhone", nil, .platform(.windowsphone8)),
        ("Windows Phone 8", nil, .platform(.windowsphone8)), ("Windows Phone 8.1", "8.1", .platform(.windowsphone8)),
        ("Windows Phone", "7.10.8858", .unlisted),
        ("Windows RT 8.1", "6.3.9600", .platform(.windowsrt81)), ("Windows RT 8.1", nil, .platform(.windowsrt81)),
        ("Windows RT", "6.3.9600", .platform(.windowsrt81)), ("WindowsRT", "6.2.9200", .platform(.windowsrt)),
        ("Windows RT", nil, .platform(.windowsrt)),
        ("Windows 8.1", "6.3.9600", .platform(.windows81)),
        ("Windows", "10.0.19045.3803", .platform(.windows10desktop)), ("Windows 10", "10.0.19045", .platform(.windows10desktop)),
        ("Windows 11", "10.0.22631", .platform(.windows10desktop)), ("Desktop", "10.0", .platform(.windows10desktop)),
        ("Windows", "6.3.9600", .platform(.windows81)), ("Desktop", "6.3", .platform(.windows81)),
        ("Windows", nil, .versionNeeded), ("Desktop", "", .versionNeeded), ("Windows", "unknown", .versionNeeded),
        ("Windows", "6.2.9200", .unlisted), ("Windows", "6.1.7601", .unlisted),
        ("Linux", "6.5", .unlisted), ("ChromeOS", "120", .unlisted), ("Windows 7", "6.1", .unlisted), ("", nil, .unlisted),
        // intune-2025 knows these; under 2017 they stay unlisted
        ("AOSP", "13", .unlisted), ("visionOS", "2.0", .unlisted), ("Apple Vision", nil, .unlisted), ("Ubuntu", "22.04", .unlisted),
        // matching ignores case, spaces, _, - and parentheses
        ("IOS", nil, .platform(.ios)), ("windows_phone", "8.0", .platform(.windowsphone8)), ("android-for-work", "9", .platform(.android)),
        ("ANDROID(WORK PROFILE)", "9", .platform(.android)), ("windows-rt", "6.2", .platform(.windowsrt)),
    ]

    @Test("normalises every row of the table", arguments: table.indices)
    func normalises(index: Int) {
        let (platform, version, expected) = Self.table[index]
        #expect(PlatformNormaliser.resolve(platform: platform, version: version) == expected, "\(platform) \(version ?? "-")")
    }

    @Test("intune-2017 reads the platform stored at import, whatever the raw OS and enrollment say")
    func storedUnder2017() {
        let device = DeviceFacts(deviceID: "d", platform: .platform(.windows81), osRaw: "AOSP", osVersion: "2.0", enrollment: .dedicated)
        #expect(RuleSet.intune2017.platform(of: device) == .platform(.windows81))
        #expect(RuleSet.intune2017.platform(of: DeviceFacts(deviceID: "d", osRaw: "visionOS", osVersion: "2.0")) == .unlisted)
        #expect(RuleSet.intune2017.platform(of: DeviceFacts(deviceID: "d", osRaw: "Windows")) == .versionNeeded)
    }

    @Test("a resolution survives its stored value", arguments:
            PlatformID.allCases.map(PlatformResolution.platform) + [.unlisted, .versionNeeded, .enrollmentUnknown])
    func storedValues(resolution: PlatformResolution) {
        #expect(PlatformResolution(storedValue: resolution.storedValue) == resolution)
    }

    @Test("reads a version as its leading dotted number",
          arguments: [("6.0.1", 6, 0), ("8.10.14219.341", 8, 10), ("10.0.19045.3803", 10, 0), ("13", 13, 0), (" 7.1 beta", 7, 1)])
    func versions(text: String, major: Int, minor: Int) {
        #expect(OSVersion(text) == OSVersion(major: major, minor: minor))
    }

    @Test("an unparsable version is no version", arguments: ["", "beta", ".5", "v10"])
    func unparsableVersions(text: String) {
        #expect(OSVersion(text) == nil)
    }

    @Test("management values", arguments: [
        ("mdm", Management.mdm), ("MDM", .mdm), ("Intune", .mdm), ("Co-managed", .mdm), ("configurationManagerClientMdm", .mdm),
        ("eas", .eas), ("EAS", .eas), ("Exchange ActiveSync", .eas),
        ("eas_mdm", .easMDM), ("MDM/EAS", .easMDM), ("easMdm", .easMDM),
        ("software_client", .softwareClient), ("Intune PC client", .softwareClient), ("PC agent", .softwareClient),
        ("intuneClient", .softwareClient), ("easIntuneClient", .softwareClient),
        ("googleCloudDevicePolicyController", .mdm), ("microsoft365ManagedMdm", .mdm), ("intuneAosp", .mdm),
        ("configurationManagerClientMdmEas", .easMDM),
        ("other", .other), ("ConfigMgr", .other), ("configurationManagerClient", .other), ("jamf", .other), ("msSense", .other),
        ("unknown", .other),
    ])
    func management(name: String, expected: Management) {
        #expect(Management(name: name) == expected)
        #expect(Management(graphAgent: name) == expected)
    }

    @Test("a file's management value outside the list is refused; Graph's future agents are other",
          arguments: ["mdm eas x", "Blackberry UEM", "someFutureAgent"])
    func otherManagement(name: String) {
        #expect(Management(name: name) == nil)
        #expect(Management(graphAgent: name) == .other)
    }
}

@Suite("ISO 8601 timestamps")
struct ISOTimestampTests {
    @Test("normalises to UTC seconds", arguments: [
        ("2026-11-25T08:30:00Z", "2026-11-25T08:30:00Z"),
        ("2026-11-25T08:30:00.1234567Z", "2026-11-25T08:30:00Z"),
        ("2026-11-25 08:30:00", "2026-11-25T08:30:00Z"),
        ("2026-11-25T08:30", "2026-11-25T08:30:00Z"),
        ("2026-11-25", "2026-11-25T00:00:00Z"),
        ("2026-11-25T01:30:00+02:00", "2026-11-24T23:30:00Z"),
        ("2026-11-25T23:30:00-0130", "2026-11-26T01:00:00Z"),
        ("2024-02-29T12:00:00Z", "2024-02-29T12:00:00Z"),
        ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"),
    ])
    func normalises(text: String, expected: String) {
        #expect(ISOTimestamp.normalise(text) == expected)
    }

    @Test("refuses what is not a time", arguments: ["", "yesterday", "2026-13-01", "2026-02-30", "2026-11-25T25:00", "2026-11-25Tx", "2026-11-25T08:30:00Q"])
    func refuses(text: String) {
        #expect(ISOTimestamp.normalise(text) == nil)
    }
}
