/// What the matrix says of one action on one platform.
public enum Support: String, Sendable, Codable, CaseIterable {
    case supported
    case unsupported
    /// Only when the device's current (primary) user is the user who enrolled it (check 6).
    case sameUserAsEnrolled = "same_user_as_enrolled"
    /// Only when the OS version is below 7.0 (intune-2017 Android passcode reset, check 7).
    case versionBelow7 = "version_below_7"
    /// Only when the OS version is 2.0 or later (intune-2025 visionOS lock, check 5).
    case versionAtLeast2 = "version_at_least_2"
    /// The source does not list it: not supported (default deny).
    case unlisted
}

/// One cell of the matrix.
public struct RuleCell: Sendable, Equatable, Codable {
    public var support: Support
    /// The secret the action makes here, if any (shown once, never stored).
    public var secret: SecretKind?
    /// The action needs a PIN or passcode already set on the device (check 8).
    public var needsPasscode: Bool
    /// The source's words for the cell.
    public var note: String

    public init(_ support: Support, secret: SecretKind? = nil, needsPasscode: Bool = false, note: String) {
        self.support = support
        self.secret = secret
        self.needsPasscode = needsPasscode
        self.note = note
    }

    /// A passcode reset here creates a temporary passcode (kept for the callers of round 1).
    public var temporaryPasscode: Bool { secret == .temporaryPasscode }

    /// What a platform or action missing from a table is.
    public static let notListed = RuleCell(.unlisted, note: "not listed")
}

/// One row of a matrix: a platform id, how the source names it, and its two cells.
public struct PlatformRow: Sendable, Equatable {
    public var platform: PlatformID
    /// How the source names or tells the platform ("Android + dedicated").
    public var toldBy: String
    public var lock: RuleCell
    public var resetPasscode: RuleCell

    public init(_ platform: PlatformID, toldBy: String, lock: RuleCell, resetPasscode: RuleCell) {
        self.platform = platform
        self.toldBy = toldBy
        self.lock = lock
        self.resetPasscode = resetPasscode
    }

    public func cell(_ action: Action) -> RuleCell {
        switch action {
        case .lock: lock
        case .resetPasscode: resetPasscode
        }
    }
}

/// A reason code as one rule set gives it: the check it comes from and that check in words.
public struct ReasonRule: Sendable, Equatable {
    /// The check's number in the set's evaluation order; nil for a skip at run time
    /// (`already_done`, `unknown_earlier`), which is no rule check.
    public var check: Int?
    public var code: ReasonCode
    /// The check in words, led by its number.
    public var rule: String

    public init(_ check: Int?, _ code: ReasonCode, _ rule: String) {
        self.check = check
        self.code = code
        self.rule = rule
    }
}

/// A platform rule set: the matrix as data, beside how the set tells platforms apart and
/// the reason codes it gives, in its evaluation order. `Evaluation.verdict` is the one
/// function that reads it; both sets are tables of this shape (RULES.md).
public struct RuleSet: Sendable, Equatable {
    /// `intune-2017`, `intune-2025`: what `--rules` takes.
    public var name: String
    /// The pages the set is made from.
    public var sources: [String]
    /// The matrix, in the order the source lists it; a platform or action missing is unlisted.
    public var rows: [PlatformRow]
    /// How a device row's platform id is told under this set.
    public var naming: PlatformNaming
    /// Every reason code the set can give, in evaluation order, then the run-time skips.
    public var reasons: [ReasonRule]
    /// The general rules of the source, in words (for `mdmbatch rules`).
    public var generalRules: [String]
    /// Days without check-in after which a device is stale (a warning).
    public var staleAfterDays: Int
    /// A lock that makes an unlock PIN is refused while the database holds, in another run,
    /// such a lock of the same device that ended `succeeded` or `unknown_outcome` and was
    /// first sent less than this many days before (check 7); nil when no cell makes one.
    public var unlockPINOutstandingDays: Int?

    private let index: [PlatformID: Int]

    public init(name: String, sources: [String], rows: [PlatformRow], naming: PlatformNaming, reasons: [ReasonRule],
                generalRules: [String], staleAfterDays: Int, unlockPINOutstandingDays: Int? = nil) {
        self.name = name
        self.sources = sources
        self.rows = rows
        self.naming = naming
        self.reasons = reasons
        self.generalRules = generalRules
        self.staleAfterDays = staleAfterDays
        self.unlockPINOutstandingDays = unlockPINOutstandingDays
        var index: [PlatformID: Int] = [:]
        for (position, row) in rows.enumerated() {
            precondition(index[row.platform] == nil, "\(name) lists \(row.platform.rawValue) twice")
            index[row.platform] = position
        }
        self.index = index
    }

    /// The sources as one line.
    public var source: String { sources.joined(separator: "; ") }

    /// The platform ids of this set's table, in the order it lists them.
    public var platforms: [PlatformID] { rows.map(\.platform) }

    public func row(_ platform: PlatformID) -> PlatformRow? {
        index[platform].map { rows[$0] }
    }

    public func cell(_ platform: PlatformID, _ action: Action) -> RuleCell {
        guard let position = index[platform] else { return .notListed }
        return rows[position].cell(action)
    }

    /// The device's platform under this set: its platform id, or why it has none.
    /// intune-2017 reads the stored resolution; intune-2025 tells it from `osRaw` and
    /// `enrollment`.
    public func platform(of device: DeviceFacts) -> PlatformResolution {
        naming.resolve(device)
    }

    /// How this set gives `code`; nil for a code it never gives.
    public func reason(_ code: ReasonCode) -> ReasonRule? {
        reasons.first { $0.code == code }
    }

    /// Every rule set, the default first.
    public static let all: [RuleSet] = [.intune2017, .intune2025]

    /// The set of that name (exactly as `name`), if any.
    public static func named(_ name: String) -> RuleSet? {
        all.first { $0.name == name }
    }

    /// The set in force when none is asked for.
    public static var `default`: RuleSet { .intune2017 }
}
