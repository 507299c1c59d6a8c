import Foundation

/// What the rules need to know of a device row.
public struct DeviceFacts: Sendable, Equatable {
    public var deviceID: String
    /// The intune-2017 resolution, computed at import (`devices.platform`).
    public var platform: PlatformResolution
    /// The operating system as the inventory named it (`devices.os_raw`); intune-2025
    /// tells the platform from it.
    public var osRaw: String
    public var osVersion: String?
    /// How an Android device is enrolled (`devices.enrollment`); nil: unknown.
    public var enrollment: Enrollment?
    /// nil: unknown (taken as MDM, with a warning).
    public var management: Management?
    public var primaryUserUPN: String?
    public var enrolledByUPN: String?
    /// nil: unknown.
    public var passcodeSet: Bool?
    /// Seconds since 1970; nil when never seen.
    public var lastCheckIn: Int64?
    /// The lock of this device, in another run to the same service, that may have made an
    /// unlock PIN: one still unfinished, else the latest that ended `succeeded` or
    /// `unknown_outcome`. The planner gathers the fact; check 7 of intune-2025 decides
    /// whether its PIN may still be unused (`EarlierMacLock.mayHoldUnusedPIN`).
    public var earlierMacLock: EarlierMacLock?

    public init(deviceID: String, platform: PlatformResolution, osRaw: String = "", osVersion: String? = nil,
                enrollment: Enrollment? = nil, management: Management? = .mdm,
                primaryUserUPN: String? = nil, enrolledByUPN: String? = nil, passcodeSet: Bool? = true, lastCheckIn: Int64? = nil,
                earlierMacLock: EarlierMacLock? = nil) {
        self.deviceID = deviceID
        self.platform = platform
        self.osRaw = osRaw
        self.osVersion = osVersion
        self.enrollment = enrollment
        self.management = management
        self.primaryUserUPN = primaryUserUPN
        self.enrolledByUPN = enrolledByUPN
        self.passcodeSet = passcodeSet
        self.lastCheckIn = lastCheckIn
        self.earlierMacLock = earlierMacLock
    }

    /// A device as the importer would store it: the 2017 resolution computed from `osRaw`
    /// and `osVersion` (`PlatformNormaliser`).
    public init(deviceID: String, osRaw: String, osVersion: String? = nil, enrollment: Enrollment? = nil,
                management: Management? = .mdm, primaryUserUPN: String? = nil, enrolledByUPN: String? = nil,
                passcodeSet: Bool? = true, lastCheckIn: Int64? = nil, earlierMacLock: EarlierMacLock? = nil) {
        self.init(deviceID: deviceID, platform: PlatformNormaliser.resolve(platform: osRaw, version: osVersion), osRaw: osRaw,
                  osVersion: osVersion, enrollment: enrollment, management: management, primaryUserUPN: primaryUserUPN,
                  enrolledByUPN: enrolledByUPN, passcodeSet: passcodeSet, lastCheckIn: lastCheckIn,
                  earlierMacLock: earlierMacLock)
    }
}

/// A lock of a Mac in an earlier run, as the planner found it: the facts check 7 of
/// intune-2025 decides on (its unlock PIN may still be unused: a second lock would fail on
/// the device).
public struct EarlierMacLock: Sendable, Equatable {
    /// The run that holds it.
    public var runID: String
    /// Its state in that run (`succeeded`, `unknown_outcome`, or one still unfinished).
    public var state: DispatchState
    /// When it was first sent (seconds since 1970); nil when never sent.
    public var firstSentAt: Int64?

    public init(runID: String, state: DispatchState, firstSentAt: Int64? = nil) {
        self.runID = runID
        self.state = state
        self.firstSentAt = firstSentAt
    }

    /// Still to be decided in its run: its PIN may be handed out any moment.
    var isUnfinished: Bool { DispatchState.open.contains(state) }

    /// Its PIN may still be unused at `now`: the lock is unfinished, or was first sent less
    /// than `days` days before (one that ended without a time of sending counts as recent).
    func mayHoldUnusedPIN(now: Int64, days: Int) -> Bool {
        if isUnfinished { return true }
        guard state == .succeeded || state == .unknownOutcome else { return false }
        return (firstSentAt ?? now) > now - Int64(days) * 86_400
    }

    /// Why a second lock is refused, naming the run that holds the first.
    func detail(days: Int) -> String {
        isUnfinished
            ? "run \(runID) holds an unfinished lock of this Mac (\(state.rawValue)): its unlock PIN would go unused and a "
                + "second lock fails; finish that run first (run its batch again)"
            : "run \(runID) locked this Mac less than \(days) days ago (\(state.rawValue)): its unlock PIN may be unused"
    }
}

/// How a request's target resolved (check 2).
public enum TargetResolution: Sendable, Equatable {
    case device(DeviceFacts)
    case unknown
    case ambiguous(deviceIDs: [String])
    case userWithoutDevices
}

/// The rules as one pure function of (request, device, rule set): the checks of RULES.md
/// in order, the first failing one giving the single reason code. Both sets go through the
/// same steps; what differs is their table (`RuleSet`): how a platform is told, what each
/// cell supports, the secret it makes and whether it needs a passcode.
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
        // 4. devices Intune does not act on
        if device.management == .softwareClient { return .rejected(.softwareClientUnsupported) }
        if device.management == .other { return .rejected(.managementUnsupported) }
        // 5. the matrix
        let platform: PlatformID
        switch rules.platform(of: device) {
        case .unlisted: return .rejected(.unlistedPlatform)
        case .versionNeeded: return .rejected(.osVersionUnknown, detail: "the platform needs an OS version to be told apart")
        case .enrollmentUnknown: return .rejected(.enrollmentUnknown, detail: "Android without a recorded enrollment")
        case .platform(let id): platform = id
        }
        let cell = rules.cell(platform, action)
        switch cell.support {
        case .unsupported: return .rejected(.unsupportedPlatform)
        case .unlisted: return .rejected(.unlistedPlatform)
        case .versionAtLeast2:
            guard let version = device.osVersion.flatMap({ OSVersion($0) }) else {
                return .rejected(.osVersionUnknown, detail: "\(platform.rawValue) \(action.rawValue) needs the OS version")
            }
            if version < OSVersion(major: 2) {
                return .rejected(.osVersionUnsupported, detail: "\(platform.rawValue) \(device.osVersion!): 2.0 or later needed")
            }
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
        // 7. Android passcode reset below 7.0 (intune-2017)
        if cell.support == .versionBelow7 {
            guard let version = device.osVersion.flatMap({ OSVersion($0) }) else {
                return .rejected(.osVersionUnknown, detail: "passcode reset needs the Android version")
            }
            if version >= OSVersion(major: 7) { return .rejected(.osVersionUnsupported, detail: "Android \(device.osVersion!)") }
        }
        // 7. an unlock PIN of an earlier lock may be unused: a second lock would fail (intune-2025)
        if cell.secret == .unlockPIN, let days = rules.unlockPINOutstandingDays, let earlier = device.earlierMacLock,
           earlier.mayHoldUnusedPIN(now: now, days: days) {
            return .rejected(.unlockPINOutstanding, detail: earlier.detail(days: days))
        }
        // 8. remote lock (and, in intune-2025, an Android reset) needs a passcode
        if cell.needsPasscode && device.passcodeSet == false { return .rejected(.noPasscode) }

        var warnings: [Warning] = []
        if cell.needsPasscode && device.passcodeSet == nil { warnings.append(.passcodeStateUnknown) }
        if device.management == nil { warnings.append(.managementUnknown) }
        if let seen = device.lastCheckIn, now - seen > Int64(rules.staleAfterDays) * 86_400 { warnings.append(.staleDevice) }
        return Verdict(reason: nil, warnings: warnings, secret: cell.secret, detail: nil)
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !trimmingWhitespace(text).isEmpty else { return nil }
        return text
    }
}
