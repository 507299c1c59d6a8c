extension RuleSet {
    /// Today's Intune: RULES.md, "Rule set `intune-2025`".
    public static let intune2025 = RuleSet(
        name: "intune-2025",
        sources: [
            "Microsoft Learn, \"Device action: remote lock\" (2025-10-27)",
            "Microsoft Learn, \"Device action: reset passcode\" (2025-10-27)",
            "Microsoft Learn, \"Remote device action: remove passcode\" (2026-04-21)",
            "Microsoft Graph deviceEnrollmentType, remoteLockActionResult and resetPasscodeActionResult",
        ],
        rows: [
            PlatformRow(.ios, toldBy: "iOS, iPadOS",
                        lock: lock2025, resetPasscode: RuleCell(.supported, note: "removes the passcode; no secret")),
            PlatformRow(.macos, toldBy: "macOS",
                        lock: RuleCell(.supported, secret: .unlockPIN, needsPasscode: true,
                                       note: "supported; the service sets an unlock PIN"),
                        resetPasscode: unsupported2025),
            PlatformRow(.visionos, toldBy: "visionOS",
                        lock: RuleCell(.versionAtLeast2, needsPasscode: true, note: "visionOS 2.0 and later"),
                        resetPasscode: unsupported2025),
            PlatformRow(.androidDedicated, toldBy: "Android + dedicated",
                        lock: lock2025, resetPasscode: androidReset("resets the device passcode")),
            PlatformRow(.androidFullyManaged, toldBy: "Android + fully_managed",
                        lock: lock2025, resetPasscode: androidReset("resets the work-profile passcode")),
            PlatformRow(.androidCorporateWorkProfile, toldBy: "Android + corporate_work_profile",
                        lock: lock2025, resetPasscode: androidReset("resets the work-profile passcode")),
            PlatformRow(.androidPersonalWorkProfile, toldBy: "Android + personal_work_profile",
                        lock: unsupported2025, resetPasscode: androidReset("resets the work-profile passcode")),
            PlatformRow(.androidAOSP, toldBy: "Android + aosp, or AOSP",
                        lock: lock2025, resetPasscode: androidReset("resets the device passcode")),
            PlatformRow(.androidDeviceAdmin, toldBy: "Android + device_admin", lock: unsupported2025, resetPasscode: unsupported2025),
            PlatformRow(.windows, toldBy: "Windows (every version and edition)", lock: unsupported2025, resetPasscode: unsupported2025),
            PlatformRow(.linux, toldBy: "Linux, Ubuntu, RHEL, Red Hat, Debian", lock: unsupported2025, resetPasscode: unsupported2025),
            PlatformRow(.chromeos, toldBy: "ChromeOS", lock: unsupported2025, resetPasscode: unsupported2025),
        ],
        naming: .intune2025,
        reasons: requestRules + [
            ReasonRule(4, .managementUnsupported,
                       "4. not on devices managed by an agent Intune does not act through (management other: "
                           + "Configuration Manager only, Jamf, Defender, unknown)"),
            ReasonRule(5, .enrollmentUnknown, "5. an Android device must say how it is enrolled (enrollment empty: nothing is guessed)"),
            ReasonRule(5, .osVersionUnknown, "5. a visionOS lock needs the OS version"),
            ReasonRule(5, .osVersionUnsupported, "5. visionOS lock only from version 2.0"),
            ReasonRule(5, .unsupportedPlatform, "5. the matrix says the platform does not support the action"),
            ReasonRule(5, .unlistedPlatform, "5. the platform and action must be listed in the matrix (default deny)"),
            ReasonRule(7, .unlockPINOutstanding,
                       "7. no macOS lock while one of the same device in another run to the same service is unfinished, or "
                           + "was sent less than 30 days ago and ended succeeded or unknown_outcome: its unlock PIN may be "
                           + "unused (a second lock fails); the detail names the run that holds it"),
            ReasonRule(8, .noPasscode, "8. remote lock, and an Android passcode reset, need a passcode already set"),
        ] + runTimeSkips,
        generalRules: [
            "Neither action on PCs enrolled with the Intune software client, nor on devices managed by an agent Intune does "
                + "not act through (management other: Configuration Manager only, Jamf, Defender, unknown).",
            "Android is told apart by how the device is enrolled (inventory column enrollment); with none recorded, "
                + "nothing is guessed. AOSP as the OS is android_aosp.",
            "Remote lock, and an Android passcode reset, need a PIN or passcode already set on the device.",
            "A macOS lock makes an unlock PIN; no second one while an earlier PIN of the last 30 days may be unused.",
            "No user condition in this set.",
            "Devices managed directly (MDM) or through Exchange ActiveSync are both targets.",
            "A device can be targeted directly or through its user (the user's devices).",
            "What the source does not list is not supported (default deny).",
        ],
        staleAfterDays: 30,
        unlockPINOutstandingDays: 30)

    private static let lock2025 = RuleCell(.supported, needsPasscode: true, note: "supported")
    private static let unsupported2025 = RuleCell(.unsupported, note: "not supported")

    private static func androidReset(_ note: String) -> RuleCell {
        RuleCell(.supported, secret: .temporaryPasscode, needsPasscode: true, note: note + "; temporary passcode")
    }
}
