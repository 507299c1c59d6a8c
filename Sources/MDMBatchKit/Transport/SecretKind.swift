import Foundation

/// A secret an action makes: shown once, in the secrets file, never stored.
public enum SecretKind: String, Sendable, Codable, CaseIterable {
    /// A reset's temporary passcode (Android, Windows Phone, Windows 10 Mobile).
    case temporaryPasscode = "temporary_passcode"
    /// The PIN that unlocks a Mac locked remotely (today's rules).
    case unlockPIN = "unlock_pin"

    /// For people: "temporary passcode", "unlock PIN".
    public var displayName: String {
        switch self {
        case .temporaryPasscode: "temporary passcode"
        case .unlockPIN: "unlock PIN"
        }
    }
}
