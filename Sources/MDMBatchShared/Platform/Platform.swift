/// The platform ids of the rule sets (RULES.md, "The matrix" of each set). A rule set
/// uses some of them; `ios` and `macos` are in both.
public enum PlatformID: String, Sendable, CaseIterable, Codable {
    // intune-2017
    case macos, ios, android, windows10mobile, windows10desktop, windowsphone8, windowsrt81, windowsrt, windows81
    // intune-2025
    case visionos
    case androidDedicated = "android_dedicated"
    case androidFullyManaged = "android_fully_managed"
    case androidCorporateWorkProfile = "android_corporate_work_profile"
    case androidPersonalWorkProfile = "android_personal_work_profile"
    case androidAOSP = "android_aosp"
    case androidDeviceAdmin = "android_device_admin"
    case windows, linux, chromeos

    /// Who makes the platform: it decides the delivery channel.
    public enum Family: Sendable { case apple, android, windows, other }

    public var family: Family {
        switch self {
        case .macos, .ios, .visionos: .apple
        case .android, .androidDedicated, .androidFullyManaged, .androidCorporateWorkProfile, .androidPersonalWorkProfile,
             .androidAOSP, .androidDeviceAdmin: .android
        case .windows10mobile, .windows10desktop, .windowsphone8, .windowsrt81, .windowsrt, .windows81, .windows: .windows
        case .linux, .chromeos: .other
        }
    }
}

/// What a platform / OS string and version normalise to.
public enum PlatformResolution: Sendable, Hashable {
    case platform(PlatformID)
    /// Not in the matrix (Linux, ChromeOS, Windows 7/8.0, Windows Phone 7, …).
    case unlisted
    /// A family that needs a version to be told apart, given none (e.g. `Windows`).
    case versionNeeded
    /// Android under a set that tells Android apart by enrollment, with none recorded
    /// (intune-2025). Never stored: `devices.platform` holds the 2017 resolution.
    case enrollmentUnknown

    /// The value stored in `devices.platform` (and shown as a device's platform).
    public var storedValue: String {
        switch self {
        case .platform(let id): id.rawValue
        case .unlisted: "unlisted"
        case .versionNeeded: "version_needed"
        case .enrollmentUnknown: "enrollment_unknown"
        }
    }

    public init?(storedValue: String) {
        switch storedValue {
        case "unlisted": self = .unlisted
        case "version_needed": self = .versionNeeded
        case "enrollment_unknown": self = .enrollmentUnknown
        default:
            guard let id = PlatformID(rawValue: storedValue) else { return nil }
            self = .platform(id)
        }
    }
}

/// A version read as its leading dotted number: "6.0.1" → 6.0, "10.0.19045.3803" → 10.0.
public struct OSVersion: Sendable, Hashable, Comparable {
    public var major: Int
    public var minor: Int

    public init(major: Int, minor: Int = 0) {
        self.major = major
        self.minor = minor
    }

    /// Nil when the text does not start with a number.
    public init?(_ text: some StringProtocol) {
        self.init(utf8: text.utf8)
    }

    /// The same, from UTF-8 bytes.
    public init?(utf8 bytes: some Sequence<UInt8>) {
        var major: Int? = nil
        var minor: Int? = nil
        var inMinor = false
        for c in bytes.drop(while: { $0 == 0x20 || $0 == 0x09 }) {
            if c >= 0x30 && c <= 0x39 {
                let digit = Int(c - 0x30)
                if inMinor { minor = min((minor ?? 0) * 10 + digit, 1_000_000_000) }
                else { major = min((major ?? 0) * 10 + digit, 1_000_000_000) }
            } else if c == UInt8(ascii: ".") && major != nil && !inMinor {
                inMinor = true
            } else {
                break
            }
        }
        guard let major else { return nil }
        self.init(major: major, minor: minor ?? 0)
    }

    public static func < (a: OSVersion, b: OSVersion) -> Bool {
        (a.major, a.minor) < (b.major, b.minor)
    }
}

/// Platform normalisation (RULES.md, "Normalising platforms"): matching ignores case,
/// spaces, `_`, `-` and parentheses; the version is its leading dotted number.
public enum PlatformNormaliser {
    /// Families of names; some need the version to pick the platform.
    package enum Family: Sendable {
        case fixed(PlatformID)
        case windowsPhone          // Windows Phone, WindowsPhone
        case windowsPhone8Named    // Windows Phone 8, Windows Phone 8.1
        case windowsRT             // Windows RT, WindowsRT
        case windowsTen            // Windows 10, Windows 11
        case windowsGeneric        // Windows, Desktop
    }

    /// Normalised name → family. One row per name of the RULES.md table.
    package static let families: [String: Family] = {
        var table: [String: Family] = [:]
        for name in ["iOS", "iPadOS", "iOS/iPadOS", "iPhone", "iPad", "iPod"] { table[looseKey(name)] = .fixed(.ios) }
        for name in ["macOS", "Mac OS X", "OS X", "Mac", "macMDM"] { table[looseKey(name)] = .fixed(.macos) }
        for name in ["Android", "AndroidForWork", "AndroidEnterprise", "Android (work profile)"] { table[looseKey(name)] = .fixed(.android) }
        for name in ["Windows 10 Mobile", "Windows Mobile", "WindowsMobile"] { table[looseKey(name)] = .fixed(.windows10mobile) }
        for name in ["Windows Phone", "WindowsPhone"] { table[looseKey(name)] = .windowsPhone }
        for name in ["Windows Phone 8", "Windows Phone 8.1"] { table[looseKey(name)] = .windowsPhone8Named }
        table[looseKey("Windows RT 8.1")] = .fixed(.windowsrt81)
        for name in ["Windows RT", "WindowsRT"] { table[looseKey(name)] = .windowsRT }
        table[looseKey("Windows 8.1")] = .fixed(.windows81)
        for name in ["Windows 10", "Windows 11"] { table[looseKey(name)] = .windowsTen }
        for name in ["Windows", "Desktop"] { table[looseKey(name)] = .windowsGeneric }
        return table
    }()

    public static func resolve(platform: String, version: String?) -> PlatformResolution {
        resolve(family: families[looseKey(platform)], version: version.flatMap { OSVersion($0) })
    }

    package static func resolve(family: Family?, version: OSVersion?) -> PlatformResolution {
        guard let family else { return .unlisted }
        switch family {
        case .fixed(let id):
            return .platform(id)
        case .windowsPhone:
            guard let version else { return .platform(.windowsphone8) }
            if version.major == 10 { return .platform(.windows10mobile) }
            if version.major == 8 { return .platform(.windowsphone8) }
            return .unlisted
        case .windowsPhone8Named:
            guard let version else { return .platform(.windowsphone8) }
            return version.major == 8 ? .platform(.windowsphone8) : .unlisted
        case .windowsRT:
            guard let version else { return .platform(.windowsrt) }
            if version.major == 6 && version.minor == 3 { return .platform(.windowsrt81) }
            if version.major == 6 && version.minor == 2 { return .platform(.windowsrt) }
            return .unlisted
        case .windowsTen:
            return version?.major == 10 ? .platform(.windows10desktop) : .unlisted
        case .windowsGeneric:
            guard let version else { return .versionNeeded }
            if version.major == 10 { return .platform(.windows10desktop) }
            if version.major == 6 && version.minor == 3 { return .platform(.windows81) }
            return .unlisted
        }
    }
}

/// How a device is managed (RULES.md, "Management values"; DESIGN.md, "Inventories from
/// the service").
public enum Management: String, Sendable, CaseIterable, Codable {
    case mdm, eas, easMDM = "eas_mdm", softwareClient = "software_client"
    /// An agent Intune does not act through (Jamf, Configuration Manager only, Defender, …).
    case other

    package static let names: [String: Management] = looseTable(
        ["mdm", "MDM", "Intune", "Co-managed", "configurationManagerClientMdm", "googleCloudDevicePolicyController",
         "microsoft365ManagedMdm", "intuneAosp"].map { ($0, .mdm) }
        + ["eas", "EAS", "Exchange ActiveSync"].map { ($0, .eas) }
        + ["eas_mdm", "MDM/EAS", "easMdm", "configurationManagerClientMdmEas"].map { ($0, .easMDM) }
        + ["software_client", "Intune PC client", "PC agent", "intuneClient", "easIntuneClient"].map { ($0, .softwareClient) }
        + ["other", "configurationManagerClient", "ConfigMgr", "Configuration Manager", "jamf", "msSense",
           "Microsoft Defender for Endpoint", "unknown"].map { ($0, .other) })

    /// Nil for a value that is none of the accepted names.
    public init?(name: some StringProtocol) {
        guard let value = Management.names[looseKey(name)] else { return nil }
        self = value
    }

    /// Graph's `managementAgent`: every value Intune does not act through, future ones
    /// included, is `other` (a real tenant's inventory must import whole).
    public init(graphAgent name: some StringProtocol) {
        self = Management(name: name) ?? .other
    }
}

/// How an Android device is enrolled (RULES.md, "Enrollment"); kept, and ignored, on
/// other platforms. Unknown is nil: nothing is guessed.
public enum Enrollment: String, Sendable, CaseIterable, Codable {
    case dedicated
    case fullyManaged = "fully_managed"
    case corporateWorkProfile = "corporate_work_profile"
    case personalWorkProfile = "personal_work_profile"
    case aosp
    case deviceAdmin = "device_admin"

    /// A canonical value (a CSV `enrollment` cell); nil for anything else.
    public init?(canonical text: some StringProtocol) {
        guard let value = Enrollment(rawValue: String(text).lowercased()) else { return nil }
        self = value
    }

    /// The Graph `deviceEnrollmentType` that names this enrollment, where one does.
    public var graphEnrollmentType: String? {
        switch self {
        case .dedicated: "androidEnterpriseDedicatedDevice"
        case .fullyManaged: "androidEnterpriseFullyManaged"
        case .corporateWorkProfile: "androidEnterpriseCorporateWorkProfile"
        case .personalWorkProfile, .aosp, .deviceAdmin: nil
        }
    }

    /// The Android values of Graph's `deviceEnrollmentType`: v1.0 documents none, beta
    /// these five (both AOSP enrollments are `aosp`).
    package static let graphEnrollmentTypes: [String: Enrollment] = looseTable([
        ("androidEnterpriseDedicatedDevice", .dedicated),
        ("androidEnterpriseFullyManaged", .fullyManaged),
        ("androidEnterpriseCorporateWorkProfile", .corporateWorkProfile),
        ("androidAOSPUserOwnedDeviceEnrollment", .aosp),
        ("androidAOSPUserlessDeviceEnrollment", .aosp),
    ])

    /// A Graph `deviceEnrollmentType`; nil for every value that names no Android
    /// enrollment (`userEnrollment`, `unknown`, …).
    public init?(graphEnrollmentType text: some StringProtocol) {
        guard let value = Enrollment.graphEnrollmentTypes[looseKey(text)] else { return nil }
        self = value
    }
}
