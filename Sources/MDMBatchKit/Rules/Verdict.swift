/// Why a (request, device) is refused: exactly one, the first failing check of the rule
/// set in force (RULES.md, "Evaluation order and reason codes"), or a skip at run time
/// (`already_done`, `unknown_earlier`). Declared in evaluation order; each set's own order
/// is `RuleSet.reasons`.
public enum ReasonCode: String, Sendable, CaseIterable, Codable, Comparable {
    case invalidRequest = "invalid_request"
    case unknownTarget = "unknown_target"
    case ambiguousTarget = "ambiguous_target"
    case noDevicesForUser = "no_devices_for_user"
    case duplicateRequest = "duplicate_request"
    case softwareClientUnsupported = "software_client_unsupported"
    case managementUnsupported = "management_unsupported"
    case enrollmentUnknown = "enrollment_unknown"
    case unlistedPlatform = "unlisted_platform"
    case osVersionUnknown = "os_version_unknown"
    case unsupportedPlatform = "unsupported_platform"
    case enrollingUserUnknown = "enrolling_user_unknown"
    case userMismatch = "user_mismatch"
    case osVersionUnsupported = "os_version_unsupported"
    case unlockPINOutstanding = "unlock_pin_outstanding"
    case noPasscode = "no_passcode"
    case alreadyDone = "already_done"
    case unknownEarlier = "unknown_earlier"

    public static func < (a: ReasonCode, b: ReasonCode) -> Bool { a.rawValue < b.rawValue }

    /// The check a reason comes from, in words that hold under every rule set (for a
    /// report that does not know the set); `rule(in:)` gives the set's own words.
    public var rule: String {
        switch self {
        case .invalidRequest: "1. the action must be lock or reset_passcode (or an alias), the target type a known one"
        case .unknownTarget: "2. the target must match a device or a user"
        case .ambiguousTarget: "2. a serial number or IMEI must match one device"
        case .noDevicesForUser: "2. a user target must have devices"
        case .duplicateRequest: "3. the same action on the same device once per batch"
        case .softwareClientUnsupported: "4. not on PCs managed by the Intune software client"
        case .managementUnsupported: "4. not on devices managed by an agent Intune does not act through (management other)"
        case .enrollmentUnknown: "5. an Android device must say how it is enrolled (intune-2025)"
        case .unlistedPlatform: "5. the platform and action must be listed in the matrix (default deny)"
        case .osVersionUnknown: "5/7. the platform or rule needs an OS version"
        case .unsupportedPlatform: "5. the matrix says the platform does not support the action"
        case .enrollingUserUnknown: "6. the current and the enrolling user must be known"
        case .userMismatch: "6. the current user must be the user who enrolled the device"
        case .osVersionUnsupported:
            "5/7. the OS version must be one the rule allows (intune-2017: Android passcode reset only below 7.0; "
                + "intune-2025: visionOS lock from 2.0)"
        case .unlockPINOutstanding:
            "7. no macOS lock while an earlier one to the same service, unfinished or of the last 30 days, may have an unused "
                + "unlock PIN (intune-2025)"
        case .noPasscode: "8. remote lock (and under intune-2025 an Android passcode reset) needs a passcode already set"
        case .alreadyDone: "the request_id already succeeded in an earlier run to the same service"
        case .unknownEarlier:
            "an earlier run to the same service ended with an unknown outcome: not sent blindly (run --retry-unknown to ask "
                + "the service)"
        }
    }

    /// The check a reason comes from in `rules`, in that set's words and numbering.
    public func rule(in rules: RuleSet) -> String {
        rules.reason(self)?.rule ?? rule
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
    /// The secret an accepted action makes here (`temporary_passcode`, `unlock_pin`), if any.
    public var secret: SecretKind?
    /// More about the reason (e.g. the device ids of an ambiguous serial).
    public var detail: String?

    public init(reason: ReasonCode?, warnings: [Warning], secret: SecretKind?, detail: String?) {
        self.reason = reason
        self.warnings = warnings
        self.secret = secret
        self.detail = detail
    }

    public var accepted: Bool { reason == nil }

    /// An accepted reset here yields a temporary passcode.
    public var temporaryPasscode: Bool { secret == .temporaryPasscode }

    public static func rejected(_ reason: ReasonCode, detail: String? = nil) -> Verdict {
        Verdict(reason: reason, warnings: [], secret: nil, detail: detail)
    }
}
