import Foundation

/// Why an import was refused.
public enum ImportError: LocalizedError, ClassifiedError, Equatable {
    /// The file is malformed at a place: nothing was written.
    case malformed(SourceLocation, String)
    case fileNotFound(String)
    case unreadable(String, String)
    /// A format that does not apply to this kind of inventory.
    case unsupportedFormat(String)

    public var errorDescription: String? {
        switch self {
        case .malformed(let location, let message): "\(location): \(message)"
        case .fileNotFound(let path): "\(path): no such file"
        case .unreadable(let path, let reason): "\(path): cannot read: \(reason)"
        case .unsupportedFormat(let message): message
        }
    }

    public var failureKind: FailureKind {
        switch self {
        case .malformed: .dataError
        case .fileNotFound, .unreadable: .noInput
        case .unsupportedFormat: .usage
        }
    }
}

/// A row left out by `--skip-invalid`, and why.
public struct SkippedRow: Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String
    public var description: String { "\(location): \(message)" }

    package init(location: SourceLocation, message: String) {
        self.location = location
        self.message = message
    }
}

/// A problem with one value of a row; the reader turns it into a location.
package struct RowError: Error {
    /// Which field (by its index in the kind's field list); nil when the whole row is wrong.
    package var fieldIndex: Int?
    package var message: String

    package init(fieldIndex: Int?, message: String) {
        self.fieldIndex = fieldIndex
        self.message = message
    }
}
