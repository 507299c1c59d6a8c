import ArgumentParser
import Foundation
import Logging
import MDMBatchKit

enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Options every subcommand takes; the only place that reads the environment for them.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The database file (default: $MDMBATCH_DB, else ./mdmbatch.sqlite).", valueName: "path"))
    var db: String?

    @Option(name: .long, help: "Log format on stderr: text or json (errors included).")
    var logFormat: LogFormat = .text

    @Flag(name: .long, help: "Print nothing but errors (and nothing at all when all went well).")
    var quiet = false

    @Option(name: .long, help: ArgumentHelp("Sign audit checkpoints with this Ed25519 key (default: $MDMBATCH_SIGNING_KEY).",
                                            valueName: "file"))
    var signingKey: String?

    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// --db, else $MDMBATCH_DB, else ./mdmbatch.sqlite
    var databasePath: String {
        db ?? Self.environment["MDMBATCH_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "mdmbatch.sqlite"
    }

    /// Opens the database; first loads the signing key, if any, so that a bad key stops
    /// the command before it writes anything.
    func openDatabase(_ mode: AppDatabase.OpenMode) throws -> AppDatabase {
        let key = signingKey ?? Self.environment["MDMBATCH_SIGNING_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        let signer = try key.map { try AuditSigner(keyFile: $0) }
        return try AppDatabase.open(path: databasePath, mode: mode, signer: signer).checkedForSealing(mode == .createIfMissing ? .required : .none)
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
        return Self.environment["USER"] ?? "uid-\(geteuid())"
    }

    /// What a run takes from outside: the system's clock and ids, and the crash point a
    /// test armed with MDMBATCH_CRASH_AT=NAME[:K] (tests only).
    var runDependencies: RunDependencies {
        let crashPoints = Self.environment["MDMBATCH_CRASH_AT"].flatMap { text in
            CrashPoints(specification: text) { point in
                Console.error("mdmbatch: crash point \(point.rawValue) reached: killing myself")
                kill(getpid(), SIGKILL)
            }
        } ?? .none
        return RunDependencies(clock: SystemClock(), ids: SystemIdentifiers(), crashPoints: crashPoints)
    }
}
