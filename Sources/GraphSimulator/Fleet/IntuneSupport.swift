import MDMBatchShared

/// The platform as Intune sees it, read from the OS as imported and the Android
/// enrollment. The simulator's own table, independent of mdmbatch's rule sets: it stands
/// for the service, which decides for itself.
public enum IntunePlatform: Sendable, Equatable {
    case ios, macos
    case visionos(OSVersion?)
    /// nil enrollment: Intune does not say (counts as supported).
    case android(Enrollment?)
    case windows, linux, chromeos
    case unknown

    public init(osRaw: String, osVersion: String?, enrollment: Enrollment?) {
        let name = looseKey(osRaw)
        switch name {
        case "ios", "ipados", "ios/ipados", "iphone", "ipad", "ipod": self = .ios
        case "macos", "macosx", "osx", "mac", "macmdm": self = .macos
        case "visionos", "applevision": self = .visionos(osVersion.flatMap { OSVersion($0) })
        case "android", "androidforwork", "androidenterprise", "androidworkprofile": self = .android(enrollment)
        case "aosp", "androidaosp": self = .android(.aosp)
        case "linux", "ubuntu", "rhel", "redhat", "debian": self = .linux
        case "chromeos": self = .chromeos
        case "desktop": self = .windows
        default: self = name.hasPrefix("windows") ? .windows : .unknown
        }
    }
}

/// The two device actions of Graph.
public enum DeviceAction: String, Sendable, CaseIterable {
    case remoteLock, resetPasscode
}

/// What a secret of an action is called in `deviceActionResults`.
public enum SecretField: String, Sendable {
    /// `resetPasscodeActionResult.passcode`
    case passcode
    /// `remoteLockActionResult.unlockPin`
    case unlockPin
}

/// What Intune refuses, and what an accepted action makes (DESIGN.md, "The Graph simulator").
public enum IntuneSupport {
    /// Why Intune refuses the action on this device; nil when it accepts it.
    public static func refusal(of action: DeviceAction, on device: SimDevice) -> String? {
        if device.management == .softwareClient || device.management == .other {
            return "The device is not managed by Intune MDM (management agent '\(device.managementAgent)')"
        }
        switch (action, device.platform) {
        case (.remoteLock, .windows): return "Remote lock is not supported on Windows devices"
        case (.remoteLock, .linux), (.resetPasscode, .linux): return "This action is not supported on Linux devices"
        case (.remoteLock, .chromeos), (.resetPasscode, .chromeos): return "This action is not supported on ChromeOS devices"
        case (.remoteLock, .android(.deviceAdmin)):
            return "Remote lock is not supported on Android device administrator devices"
        case (.remoteLock, .android(.personalWorkProfile)):
            return "Remote lock is not supported on Android Enterprise personally-owned work profile devices"
        case (.remoteLock, .visionos(let version)):
            guard let version, version >= OSVersion(major: 2) else { return "Remote lock requires visionOS 2.0 or later" }
            return nil
        case (.resetPasscode, .macos): return "Reset passcode is not supported on macOS devices"
        case (.resetPasscode, .visionos): return "Reset passcode is not supported on visionOS devices"
        case (.resetPasscode, .windows): return "Reset passcode is not supported on Windows devices"
        case (.resetPasscode, .android(.deviceAdmin)):
            return "Reset passcode is not supported on Android device administrator devices"
        case (_, .unknown): return "This action is not supported on this platform ('\(device.operatingSystem)')"
        default: return nil
        }
    }

    /// The secret an accepted action makes: a reset's temporary passcode on Android, a
    /// Mac's unlock PIN. An iOS reset removes the passcode: no secret.
    public static func secret(of action: DeviceAction, on device: SimDevice) -> SecretField? {
        switch (action, device.platform) {
        case (.resetPasscode, .android): .passcode
        case (.remoteLock, .macos): .unlockPin
        default: nil
        }
    }
}
