/// The kind of a failure, so that the command line maps every error and every result to
/// one exit status in one place (1 completed with failures; sysexits: 64 usage, 65 data,
/// 66 no input, 73 can't create, 74 I/O, 75 temporary, 77 no permission, 78
/// configuration, 70 software).
public enum FailureKind: Sendable, Equatable {
    /// The command ran to its end, but not all went well: a request rejected, failed or
    /// unknown, a device that has not done its action, a batch filed under failed, a
    /// broken audit chain (1).
    case completedWithFailures
    case usage
    case dataError
    case noInput
    case cannotCreate
    case ioError
    case temporary
    /// The service refused the sign-in or a permission (77).
    case noPermission
    /// Missing or unsafe configuration: no credentials, a credentials file others can
    /// read, a plain-HTTP URL that is not loopback, a signing key required (78).
    case configuration
    case software
}

/// An error that knows which kind of failure it is.
public protocol ClassifiedError: Error {
    var failureKind: FailureKind { get }
}

extension FailureKind {
    /// The kind of any error: its own when it knows it, else a bug (`software`).
    public init(of error: any Error) {
        self = (error as? any ClassifiedError)?.failureKind ?? .software
    }
}

/// A place in an input file: `file:line:column`, lines and columns counted from 1.
/// For CSV the column is the field number; for JSON it is the character column.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}
