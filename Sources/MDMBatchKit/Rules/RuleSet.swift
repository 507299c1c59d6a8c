/// What the matrix says of one action on one platform.
public enum Support: String, Sendable, Codable, CaseIterable {
    case supported
    case unsupported
    /// Only when the device's current (primary) user is the user who enrolled it.
    case sameUserAsEnrolled = "same_user_as_enrolled"
    /// Only when the OS version is below 7.0 (Android passcode reset).
    case versionBelow7 = "version_below_7"
    /// The source does not list it: not supported (default deny).
    case unlisted
}

/// One cell of the matrix.
public struct RuleCell: Sendable, Equatable, Codable {
    public var support: Support
    /// A passcode reset here creates a temporary passcode (shown once, never stored).
    public var temporaryPasscode: Bool
    /// The source's words for the cell.
    public var note: String

    public init(_ support: Support, temporaryPasscode: Bool = false, note: String) {
        self.support = support
        self.temporaryPasscode = temporaryPasscode
        self.note = note
    }
}

/// A platform rule set: the matrix as data (RULES.md, "The matrix"), so that a second
/// rule set can stand beside this one.
public struct RuleSet: Sendable {
    public var name: String
    public var source: String
    /// The matrix; a platform or action missing here is unlisted.
    public var cells: [PlatformID: [Action: RuleCell]]
    /// Days without check-in after which a device is stale (a warning).
    public var staleAfterDays: Int

    /// The platform ids of this set's table, in the order it lists them.
    public var platforms: [PlatformID] {
        PlatformID.allCases.filter { cells[$0] != nil }
    }

    public func cell(_ platform: PlatformID, _ action: Action) -> RuleCell {
        cells[platform]?[action] ?? RuleCell(.unlisted, note: "not listed")
    }

    /// Intune, "Help protect your devices with remote lock and passcode reset" (February 2017).
    public static let intune2017 = RuleSet(
        name: "intune-2017",
        source: "Intune: remote lock and passcode reset (nl-NL, 2017-02-16)",
        cells: [
            .macos: [.lock: RuleCell(.unsupported, note: "not supported"),
                     .resetPasscode: RuleCell(.unsupported, note: "not supported")],
            .ios: [.lock: RuleCell(.supported, note: "supported"),
                   .resetPasscode: RuleCell(.supported, note: "clears the passcode; no temporary passcode")],
            .android: [.lock: RuleCell(.supported, note: "supported"),
                       .resetPasscode: RuleCell(.versionBelow7, temporaryPasscode: true,
                                                note: "only below Android 7.0; creates a temporary passcode")],
            .windows10mobile: [.lock: RuleCell(.supported, note: "supported"),
                               .resetPasscode: RuleCell(.supported, temporaryPasscode: true, note: "supported; temporary passcode")],
            .windows10desktop: [.lock: RuleCell(.unsupported, note: "not supported"),
                                .resetPasscode: RuleCell(.unsupported, note: "not supported")],
            .windowsphone8: [.lock: RuleCell(.supported, note: "supported"),
                             .resetPasscode: RuleCell(.supported, temporaryPasscode: true, note: "supported; temporary passcode")],
            .windowsrt81: [.lock: RuleCell(.sameUserAsEnrolled, note: "only if the current user enrolled the device"),
                           .resetPasscode: RuleCell(.unsupported, note: "not supported")],
            .windowsrt: [.lock: RuleCell(.sameUserAsEnrolled, note: "only if the current user enrolled the device")],
            .windows81: [.lock: RuleCell(.sameUserAsEnrolled, note: "only if the current user enrolled the device"),
                         .resetPasscode: RuleCell(.unsupported, note: "not supported")],
        ],
        staleAfterDays: 30)
}
