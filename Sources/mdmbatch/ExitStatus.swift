import ArgumentParser
import Foundation
import MDMBatchKit

/// The one place where errors become exit statuses (sysexits) and messages.
enum ExitStatus {
    static func code(for kind: FailureKind) -> Int32 {
        switch kind {
        case .usage: 64
        case .dataError: 65
        case .noInput: 66
        case .cannotCreate: 73
        case .ioError: 74
        case .temporary: 75
        case .noPermission: 77
        case .configuration: 78
        case .software: 70
        }
    }

    /// Runs a command body; reports any error on stderr (as the log format says) and exits with its status.
    static func guarding<T>(_ options: GlobalOptions, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw report(error, options)
        }
    }

    static func guardingAsync<T>(_ options: GlobalOptions, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw report(error, options)
        }
    }

    private static func report(_ error: any Error, _ options: GlobalOptions) -> any Error {
        if error is ExitCode || error is ValidationError { return error }
        let (kind, message) = classify(error)
        if options.logFormat == .json {
            options.makeLogger().error("\(message)", metadata: ["exit_status": "\(code(for: kind))"])
        } else {
            Console.error("mdmbatch: \(TerminalText.escaped(message))")
        }
        return ExitCode(code(for: kind))
    }

    static func classify(_ error: any Error) -> (FailureKind, String) {
        if let classified = error as? any ClassifiedError {
            return (classified.failureKind, error.localizedDescription)
        }
        return (.software, "internal error: \(error)")
    }
}
