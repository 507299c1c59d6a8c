extension RuleSet {
    /// Intune, "Help protect your devices with remote lock and passcode reset" (February
    /// 2017): RULES.md, from "The matrix" to "Normalising platforms". The default set.
    public static let intune2017 = RuleSet(
        name: "intune-2017",
        sources: ["Intune: remote lock and passcode reset (nl-NL, 2017-02-16)"],
        rows: [
            PlatformRow(.macos, toldBy: "macOS", lock: unsupported, resetPasscode: unsupported),
            PlatformRow(.ios, toldBy: "iOS (and iPadOS)",
                        lock: supportedLock, resetPasscode: RuleCell(.supported, note: "clears the passcode; no temporary passcode")),
            PlatformRow(.android, toldBy: "Android",
                        lock: supportedLock, resetPasscode: RuleCell(.versionBelow7, secret: .temporaryPasscode,
                                                            note: "only below Android 7.0; creates a temporary passcode")),
            PlatformRow(.windows10mobile, toldBy: "Windows 10 Mobile", lock: supportedLock, resetPasscode: resetWithTemporaryPasscode),
            PlatformRow(.windows10desktop, toldBy: "Windows 10 desktop", lock: unsupported, resetPasscode: unsupported),
            PlatformRow(.windowsphone8, toldBy: "Windows Phone 8 and 8.1", lock: supportedLock, resetPasscode: resetWithTemporaryPasscode),
            PlatformRow(.windowsrt81, toldBy: "Windows RT 8.1", lock: sameUserLock, resetPasscode: unsupported),
            PlatformRow(.windowsrt, toldBy: "Windows RT", lock: sameUserLock, resetPasscode: .notListed),
            PlatformRow(.windows81, toldBy: "Windows 8.1", lock: sameUserLock, resetPasscode: unsupported),
        ],
        naming: .stored,
        reasons: requestRules + [
            ReasonRule(4, .managementUnsupported,
                       "4. not on devices managed by an agent Intune does not act through (management other)"),
            ReasonRule(5, .unlistedPlatform, "5. the platform and action must be listed in the matrix (default deny)"),
            ReasonRule(5, .osVersionUnknown,
                       "5/7. the platform needs an OS version to be told apart (Windows, Desktop), and so does an Android passcode reset"),
            ReasonRule(5, .unsupportedPlatform, "5. the matrix says the platform does not support the action"),
            ReasonRule(6, .enrollingUserUnknown, "6. the current and the enrolling user must be known"),
            ReasonRule(6, .userMismatch, "6. the current user must be the user who enrolled the device"),
            ReasonRule(7, .osVersionUnsupported, "7. Android passcode reset only below 7.0"),
            ReasonRule(8, .noPasscode, "8. remote lock needs a passcode already set"),
        ] + runTimeSkips,
        generalRules: [
            "Neither action on Windows PCs enrolled with the Intune software client (management software_client), nor on "
                + "devices managed by an agent Intune does not act through (management other).",
            "Remote lock needs a PIN or passcode already set on the device.",
            "Devices managed directly (MDM) or through Exchange ActiveSync are both targets.",
            "A device can be targeted directly or through its user (the user's devices).",
            "What the source does not list is not supported (default deny).",
        ],
        staleAfterDays: 30)

    private static let supportedLock = RuleCell(.supported, needsPasscode: true, note: "supported")
    private static let sameUserLock = RuleCell(.sameUserAsEnrolled, needsPasscode: true,
                                               note: "only if the current user enrolled the device")
    private static let unsupported = RuleCell(.unsupported, note: "not supported")
    private static let resetWithTemporaryPasscode = RuleCell(.supported, secret: .temporaryPasscode, note: "supported; temporary passcode")

    /// Rules 1 to 3 and the software client of rule 4, worded alike in every set.
    static let requestRules: [ReasonRule] = [
        ReasonRule(1, .invalidRequest, "1. the action must be lock or reset_passcode (or an alias), the target type a known one"),
        ReasonRule(2, .unknownTarget, "2. the target must match a device or a user"),
        ReasonRule(2, .ambiguousTarget, "2. a serial number or IMEI must match one device"),
        ReasonRule(2, .noDevicesForUser, "2. a user target must have devices"),
        ReasonRule(3, .duplicateRequest, "3. the same action on the same device once per batch"),
        ReasonRule(4, .softwareClientUnsupported, "4. not on PCs managed by the Intune software client"),
    ]

    /// The skips of a run, which are no rule checks (DESIGN.md), the same in every set.
    static let runTimeSkips: [ReasonRule] = [
        ReasonRule(nil, .alreadyDone, ReasonCode.alreadyDone.rule),
        ReasonRule(nil, .unknownEarlier, ReasonCode.unknownEarlier.rule),
    ]
}
