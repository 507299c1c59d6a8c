/// How a rule set tells a device's platform id from its row (RULES.md: "Normalising
/// platforms" for intune-2017, "Platforms under this set" for intune-2025).
public enum PlatformNaming: Sendable, Equatable {
    /// The resolution computed at import and stored in `devices.platform`
    /// (`PlatformNormaliser`): read as it is, so the 2017 plan stays a column read.
    case stored
    /// intune-2025: from `os_raw`, with Android told apart by `enrollment`.
    case intune2025

    public func resolve(_ device: DeviceFacts) -> PlatformResolution {
        switch self {
        case .stored: device.platform
        case .intune2025: Intune2025Platforms.resolve(osRaw: device.osRaw, enrollment: device.enrollment)
        }
    }
}

/// RULES.md, intune-2025, "Platforms under this set". The version plays no part in the
/// name: visionOS's 2.0 floor belongs to its lock cell (check 5).
public enum Intune2025Platforms {
    enum Family: Sendable {
        case fixed(PlatformID)
        /// Android, AndroidForWork, …: the enrollment says which platform.
        case android
    }

    /// Every name of the section, each once.
    static let names: [(String, Family)] =
        ["iOS", "iPadOS", "iOS/iPadOS", "iPhone", "iPad", "iPod"].map { ($0, .fixed(.ios)) }
        + ["macOS", "Mac OS X", "OS X", "Mac"].map { ($0, .fixed(.macos)) }
        + ["visionOS", "Apple Vision"].map { ($0, .fixed(.visionos)) }
        + ["Android", "AndroidForWork", "AndroidEnterprise", "Android (work profile)"].map { ($0, .android) }
        + [("AOSP", .fixed(.androidAOSP))]
        + ["Linux", "Ubuntu", "RHEL", "Red Hat", "Debian"].map { ($0, .fixed(.linux)) }
        + ["ChromeOS", "Chrome OS"].map { ($0, .fixed(.chromeos)) }

    /// Any OS whose (loosely matched) name starts with this is `windows`.
    static let windowsPrefix = Array("windows".utf8)

    private static let table = LooseNameTable(names)

    /// The platform id of a device under intune-2025. Allocates nothing: a plan asks
    /// once per row.
    public static func resolve(osRaw: String, enrollment: Enrollment?) -> PlatformResolution {
        switch table.value(for: osRaw) {
        case .fixed(let id):
            return .platform(id)
        case .android:
            guard let enrollment else { return .enrollmentUnknown }
            return .platform(platform(of: enrollment))
        case nil:
            return LooseBytes.hasPrefix(osRaw, windowsPrefix) ? .platform(.windows) : .unlisted
        }
    }

    static func platform(of enrollment: Enrollment) -> PlatformID {
        switch enrollment {
        case .dedicated: .androidDedicated
        case .fullyManaged: .androidFullyManaged
        case .corporateWorkProfile: .androidCorporateWorkProfile
        case .personalWorkProfile: .androidPersonalWorkProfile
        case .aosp: .androidAOSP
        case .deviceAdmin: .androidDeviceAdmin
        }
    }
}

/// Names matched as `looseKey` matches them (case, spaces, tabs, `_`, `-` and parentheses
/// ignored), without building the key: the text's bytes are folded as they are read and
/// hashed, and the one name of that hash is compared with them.
struct LooseNameTable<Value: Sendable>: Sendable {
    private struct Entry: Sendable {
        var key: [UInt8]
        var value: Value
    }
    /// One name per hash: the few names of a table never collide (checked when it is built),
    /// so a lookup compares with one name and walks no list.
    private let entries: [UInt64: Entry]

    init(_ names: [(String, Value)]) {
        var entries: [UInt64: Entry] = [:]
        for (name, value) in names {
            let key = Array(looseKey(name).utf8)
            let hash = Self.hash(key)
            precondition(entries[hash] == nil || entries[hash]!.key == key, "\(name) collides with another name")
            entries[hash] = Entry(key: key, value: value)
        }
        self.entries = entries
    }

    func value(for text: String) -> Value? {
        var hash = Self.offset
        for byte in text.utf8 {
            if let folded = LooseBytes.fold(byte) { hash = (hash ^ UInt64(folded)) &* Self.prime }
        }
        guard let entry = entries[hash], LooseBytes.hasPrefix(text, entry.key, whole: true) else { return nil }
        return entry.value
    }

    // FNV-1a, 64 bits.
    private static var offset: UInt64 { 0xcbf2_9ce4_8422_2325 }
    private static var prime: UInt64 { 0x0000_0100_0000_01b3 }

    private static func hash(_ key: [UInt8]) -> UInt64 {
        var hash = offset
        for byte in key { hash = (hash ^ UInt64(byte)) &* prime }
        return hash
    }
}

/// `looseKey`'s folding, a byte at a time.
enum LooseBytes {
    /// nil for what `looseKey` drops, A–Z lower-cased, any other byte as it is.
    @inline(__always)
    static func fold(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x20, 0x09, UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "("), UInt8(ascii: ")"): nil
        case 0x41...0x5A: byte + 0x20
        default: byte
        }
    }

    /// Whether `text`, folded, starts with `prefix` (with `whole`: is exactly `prefix`).
    static func hasPrefix(_ text: String, _ prefix: [UInt8], whole: Bool = false) -> Bool {
        var index = 0
        for byte in text.utf8 {
            guard let folded = fold(byte) else { continue }
            if index == prefix.count { return !whole }
            if prefix[index] != folded { return false }
            index += 1
        }
        return index == prefix.count
    }
}
