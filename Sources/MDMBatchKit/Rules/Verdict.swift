/// Why a (request, device) is refused: exactly one, the first failing check of
/// RULES.md ("Evaluation order and reason codes"), or `already_done` at run time.
public enum ReasonCode: String, Sendable, CaseIterable, Codable, Comparable {
    case invalidRequest = "invalid_request"
    case unknownTarget = "unknown_target"
    case ambiguousTarget = "ambiguous_target"
    case noDevicesForUser = "no_devices_for_user"
    case duplicateRequest = "duplicate_request"
    case softwareClientUnsupported = "software_client_unsupported"
    case unlistedPlatform = "unlisted_platform"
    case osVersionUnknown = "os_version_unknown"
    case unsupportedPlatform = "unsupported_platform"
    case enrollingUserUnknown = "enrolling_user_unknown"
    case userMismatch = "user_mismatch"
    case osVersionUnsupported = "os_version_unsupported"
    case noPasscode = "no_passcode"
    case alreadyDone = "already_done"

    public static func < (a: ReasonCode, b: ReasonCode) -> Bool { a.rawValue < b.rawValue }

    /// The check of RULES.md a reason comes from, in words.
    public var rule: String {
        switch self {
        case .invalidRequest: "1. the action must be lock or reset_passcode (or an alias), the target type a known one"
        case .unknownTarget: "2. the target must match a device or a user"
        case .ambiguousTarget: "2. a serial number or IMEI must match one device"
        case .noDevicesForUser: "2. a user target must have devices"
        case .duplicateRequest: "3. the same action on the same device once per batch"
        case .softwareClientUnsupported: "4. not on PCs managed by the Intune software client"
        case .unlistedPlatform: "5. the platform and action must be listed in the matrix (default deny)"
        case .osVersionUnknown: "5/7. the platform or rule needs an OS version"
        case .unsupportedPlatform: "5. the matrix says the platform does not support the action"
        case .enrollingUserUnknown: "6. the current and the enrolling user must be known"
        case .userMismatch: "6. the current user must be the user who enrolled the device"
        case .osVersionUnsupported: "7. Android passcode reset only below 7.0"
        case .noPasscode: "8. remote lock needs a passcode already set"
        case .alreadyDone: "the request_id already succeeded in an earlier run"
        }
    }
}

/// Notes that never reject.
public enum Warning: String, Sendable, CaseIterable, Codable {
    case passcodeStateUnknown = "passcode_state_unknown"
    case managementUnknown = "management_unknown"
    case staleDevice = "stale_device"
}

/// The outcome of the rules for one (request, device).
public struct Verdict: Sendable, Equatable {
    public var reason: ReasonCode?
    public var warnings: [Warning]
    /// An accepted reset here yields a temporary passcode.
    public var temporaryPasscode: Bool
    /// More about the reason (e.g. the device ids of an ambiguous serial).
    public var detail: String?

    public var accepted: Bool { reason == nil }

    public static func rejected(_ reason: ReasonCode, detail: String? = nil) -> Verdict {
        Verdict(reason: reason, warnings: [], temporaryPasscode: false, detail: detail)
    }
}
