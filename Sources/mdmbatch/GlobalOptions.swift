import ArgumentParser
import Foundation
import Logging
import MDMBatchKit

enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The database file.", valueName: "path"))
    var db: String?

    @Option(name: .long, help: "Log format on stderr: text or json.")
    var logFormat: LogFormat = .text

    @Flag(name: .long, help: "Print nothing but errors (and nothing at all when all went well).")
    var quiet = false

    @Option(name: .long, help: ArgumentHelp("Sign audit checkpoints with this Ed25519 key (default: $MDMBATCH_SIGNING_KEY).",
                                            valueName: "file"))
    var signingKey: String?

    /// --db, else $MDMBATCH_DB, else ./mdmbatch.sqlite
    var databasePath: String {
        db ?? ProcessInfo.processInfo.environment["MDMBATCH_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "mdmbatch.sqlite"
    }

    /// Opens the database; first loads the signing key, if any, so that a bad key stops
    /// the command before it writes anything.
    func openDatabase() throws -> AppDatabase {
        let key = signingKey ?? ProcessInfo.processInfo.environment["MDMBATCH_SIGNING_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        AuditSigner.use(try key.map { try AuditSigner(keyFile: $0) })
        return try AppDatabase.open(path: databasePath)
    }

    func makeLogger(label: String = "mdmbatch") -> Logger {
        let format = logFormat
        var logger = Logger(label: label) { _ in StderrLogHandler(format: format) }
        logger.logLevel = quiet ? .error : .info
        return logger
    }

    /// Who is acting: the OS user.
    var osUser: String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? "uid-\(geteuid())"
    }
}
