import Foundation

/// A secret as the service hands it out. Its description never shows the value, so that
/// a log line or an error message that interpolates it leaks nothing.
public struct ServiceSecret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public var kind: SecretKind
    public var value: String

    public init(kind: SecretKind, value: String) {
        self.kind = kind
        self.value = value
    }

    public var description: String { "<\(kind.rawValue), redacted>" }
    public var debugDescription: String { description }
}
