/// The two remote actions (RULES.md).
public enum Action: String, Sendable, CaseIterable, Codable {
    case lock
    case resetPasscode = "reset_passcode"

    /// Names a batch file may use, matched loosely (`looseKey`).
    static let names: [String: Self] = looseTable([
        ("lock", .lock), ("remote_lock", .lock),
        ("reset_passcode", .resetPasscode), ("resetPasscode", .resetPasscode), ("passcode_reset", .resetPasscode),
    ])

    /// `lock` or `remote_lock`; `reset_passcode`, `resetPasscode` or `passcode_reset`.
    public init?(name: some StringProtocol) {
        guard let action = Action.names[looseKey(name)] else { return nil }
        self = action
    }
}

/// How a batch names its target (DESIGN.md, "batch").
public enum TargetType: String, Sendable, CaseIterable, Codable {
    case deviceID = "device_id", serial, imei, user

    static let names: [String: Self] = looseTable([
        ("device_id", .deviceID), ("device", .deviceID), ("serial", .serial), ("serial_number", .serial),
        ("imei", .imei), ("user", .user), ("upn", .user),
    ])

    public init?(name: some StringProtocol) {
        guard let type = TargetType.names[looseKey(name)] else { return nil }
        self = type
    }
}
