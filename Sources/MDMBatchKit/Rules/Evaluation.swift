import Foundation

/// What the rules need to know of a device row.
public struct DeviceFacts: Sendable, Equatable {
    public var deviceID: String
    public var platform: PlatformResolution
    public var osVersion: String?
    /// nil: unknown (taken as MDM, with a warning).
    public var management: Management?
    public var primaryUserUPN: String?
    public var enrolledByUPN: String?
    /// nil: unknown.
    public var passcodeSet: Bool?
    /// Seconds since 1970; nil when never seen.
    public var lastCheckIn: Int64?

    public init(deviceID: String, platform: PlatformResolution, osVersion: String? = nil, management: Management? = .mdm,
                primaryUserUPN: String? = nil, enrolledByUPN: String? = nil, passcodeSet: Bool? = true, lastCheckIn: Int64? = nil) {
        self.deviceID = deviceID
        self.platform = platform
        self.osVersion = osVersion
        self.management = management
        self.primaryUserUPN = primaryUserUPN
        self.enrolledByUPN = enrolledByUPN
        self.passcodeSet = passcodeSet
        self.lastCheckIn = lastCheckIn
    }
}

/// How a request's target resolved (check 2).
public enum TargetResolution: Sendable, Equatable {
    case device(DeviceFacts)
    case unknown
    case ambiguous(deviceIDs: [String])
    case userWithoutDevices
}

/// The rules as one pure function of (request, device, rule set): checks 1 to 8 of
/// RULES.md in order, the first failing one giving the single reason code.
public enum Evaluation {
    /// - Parameters:
    ///   - action: nil when the request's action (or target type) is not valid (check 1).
    ///   - duplicate: the same action on the same device came earlier in the batch (check 3).
    ///   - now: seconds since 1970, for the stale-device warning.
    public static func verdict(action: Action?, target: TargetResolution, duplicate: Bool,
                               rules: RuleSet, now: Int64) -> Verdict {
        // 1. the request itself
        guard let action else { return .rejected(.invalidRequest) }
        // 2. the target
        let device: DeviceFacts
        switch target {
        case .unknown: return .rejected(.unknownTarget)
        case .ambiguous(let ids): return .rejected(.ambiguousTarget, detail: "matches devices " + ids.joined(separator: ", "))
        case .userWithoutDevices: return .rejected(.noDevicesForUser)
        case .device(let facts): device = facts
        }
        // 3. once per device and action in a batch
        if duplicate { return .rejected(.duplicateRequest) }
        // 4. software client PCs
        if device.management == .softwareClient { return .rejected(.softwareClientUnsupported) }
        // 5. the matrix
        let platform: PlatformID
        switch device.platform {
        case .unlisted: return .rejected(.unlistedPlatform)
        case .versionNeeded: return .rejected(.osVersionUnknown, detail: "the platform needs an OS version to be told apart")
        case .platform(let id): platform = id
        }
        let cell = rules.cell(platform, action)
        switch cell.support {
        case .unsupported: return .rejected(.unsupportedPlatform)
        case .unlisted: return .rejected(.unlistedPlatform)
        case .supported, .sameUserAsEnrolled, .versionBelow7: break
        }
        // 6. user condition
        if cell.support == .sameUserAsEnrolled {
            guard let current = nonEmpty(device.primaryUserUPN), let enrolling = nonEmpty(device.enrolledByUPN) else {
                return .rejected(.enrollingUserUnknown)
            }
            if current.lowercased() != enrolling.lowercased() {
                return .rejected(.userMismatch, detail: "current user \(current), enrolled by \(enrolling)")
            }
        }
        // 7. Android passcode reset below 7.0
        if cell.support == .versionBelow7 {
            guard let version = device.osVersion.flatMap({ OSVersion($0) }) else {
                return .rejected(.osVersionUnknown, detail: "passcode reset needs the Android version")
            }
            if version >= OSVersion(major: 7) { return .rejected(.osVersionUnsupported, detail: "Android \(device.osVersion!)") }
        }
        // 8. remote lock needs a passcode
        if action == .lock && device.passcodeSet == false { return .rejected(.noPasscode) }

        var warnings: [Warning] = []
        if action == .lock && device.passcodeSet == nil { warnings.append(.passcodeStateUnknown) }
        if device.management == nil { warnings.append(.managementUnknown) }
        if let seen = device.lastCheckIn, now - seen > Int64(rules.staleAfterDays) * 86_400 { warnings.append(.staleDevice) }
        return Verdict(reason: nil, warnings: warnings,
                       temporaryPasscode: action == .resetPasscode && cell.temporaryPasscode, detail: nil)
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !trimmingWhitespace(text).isEmpty else { return nil }
        return text
    }
}
