import Foundation

/// What is wrong with an input at a place; the reader of each kind of file turns it into
/// its own error (`ImportError`, `BatchError`).
package struct InputProblem: Error, Equatable {
    package var location: SourceLocation
    package var message: String

    package init(location: SourceLocation, message: String) {
        self.location = location
        self.message = message
    }
}
