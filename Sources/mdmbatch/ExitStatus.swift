import ArgumentParser
import Foundation
import MDMBatchKit

/// The one place where errors and results become exit statuses (sysexits) and messages.
enum ExitStatus {
    static func code(for kind: FailureKind) -> Int32 {
        switch kind {
        case .completedWithFailures: 1
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

    /// Ends a command by its result: 0 when it did what it said, else the status of its
    /// failure, its cause (if the output does not say it) reported as an error is.
    static func finish(_ result: some CommandResult, _ options: GlobalOptions) throws {
        guard let kind = result.failure else { return }
        if let cause = result.failureCause { say(message(cause), kind, options) }
        throw ExitCode(code(for: kind))
    }

    private static func report(_ error: any Error, _ options: GlobalOptions) -> any Error {
        if error is ExitCode || error is ValidationError { return error }
        let kind = FailureKind(of: error)
        say(message(error), kind, options)
        return ExitCode(code(for: kind))
    }

    private static func say(_ message: String, _ kind: FailureKind, _ options: GlobalOptions) {
        if options.logFormat == .json {
            options.makeLogger().error("\(message)", metadata: ["exit_status": "\(code(for: kind))"])
        } else {
            Console.error("mdmbatch: \(TerminalText.escaped(message))")
        }
    }

    private static func message(_ error: any Error) -> String {
        error is any ClassifiedError ? error.localizedDescription : "internal error: \(error)"
    }
}
