import ArgumentParser
import Foundation
import GRDB
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

    /// Runs a command body; prints any error to stderr and exits with its status.
    static func guarding<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch {
            let (kind, message) = classify(error)
            Console.error("mdmbatch: \(message)")
            throw ExitCode(code(for: kind))
        }
    }

    static func guardingAsync<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch {
            let (kind, message) = classify(error)
            Console.error("mdmbatch: \(message)")
            throw ExitCode(code(for: kind))
        }
    }

    static func classify(_ error: any Error) -> (FailureKind, String) {
        if let classified = error as? any ClassifiedError {
            return (classified.failureKind, error.localizedDescription)
        }
        if let database = error as? DatabaseError {
            switch database.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return (.temporary, "database is busy: \(database.message ?? "")")
            case .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_CORRUPT, .SQLITE_NOTADB,
                 .SQLITE_PERM, .SQLITE_AUTH:
                return (.ioError, "database error: \(database.message ?? "\(database.resultCode)")")
            default:
                return (.software, "internal database error: \(database)")
            }
        }
        return (.software, "internal error: \(error)")
    }
}
