import ArgumentParser
import Foundation
import MDMBatchKit

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify, export and sign the tamper-evident audit trail.",
        discussion: """
            Every audit row is chained to the one before it (hash = SHA-256(prev_hash ‖ canonical row)); each import,
            plan, run and export ends with a checkpoint row sealing the chain head, signed with Ed25519 when a signing
            key is given (--signing-key FILE or $MDMBATCH_SIGNING_KEY on any command that writes).
            """,
        subcommands: [AuditVerifyCommand.self, AuditExportCommand.self, AuditKeygenCommand.self]
    )
}

struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the whole chain and check every checkpoint and signature.",
        discussion: """
            Exit 0 with a one-line summary when the chain is intact; exit 1 naming the first bad row and what is wrong
            (changed row, missing rows, broken link from removed or reordered rows, truncated tail, bad checkpoint,
            bad or missing signature). With --public-key every checkpoint must be signed by that key; without it,
            signatures are checked against the key each checkpoint names.
            """
    )

    @Option(name: .long, help: ArgumentHelp("Check signatures with this public key (FILE.pub from audit keygen).", valueName: "file"))
    var publicKey: String?

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try ExitStatus.guarding {
            let key = try publicKey.map { try AuditPublicKey(file: $0) }
            let database = try options.openDatabase()
            switch try database.read({ try AuditVerifier.verify($0, publicKey: key) }) {
            case .success(let found):
                if !options.quiet {
                    print("audit chain intact: \(found.rows) rows, \(found.checkpoints) checkpoints (\(found.signedCheckpoints) signed),"
                          + " head \(found.headSeq) \(found.head)"
                          + (found.unsealedRows > 0 ? "; \(found.unsealedRows) rows after the last checkpoint (a run in progress or cut short)" : ""))
                }
            case .failure(let problem):
                FileHandle.standardError.write(Data("mdmbatch: \(problem)\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}

struct AuditExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export audit rows as CSV (for spreadsheets) or JSONL (lossless), streamed.",
        discussion: """
            CSV cells beginning with =, +, -, @, tab, CR or LF are prefixed with ' so that no spreadsheet runs them as a
            formula; JSONL keeps every value exactly (detail as the JSON text that was hashed). Each export is itself
            recorded in the trail: who, the filter, the row count and the sha256 of the output.
            """
    )

    @Option(name: .long, help: ArgumentHelp("Rows at or after this time (ISO 8601).", valueName: "time"))
    var from: String?

    @Option(name: .long, help: ArgumentHelp("Rows at or before this time (ISO 8601).", valueName: "time"))
    var to: String?

    @Option(name: .customLong("run"), help: ArgumentHelp("Rows of this run only.", valueName: "run-id"))
    var runID: String?

    @Option(name: .long, help: "csv or jsonl.")
    var format: String = "csv"

    @Option(name: .long, help: ArgumentHelp("Write to this file (0600, written whole) instead of standard output.", valueName: "file"))
    var output: String = "-"

    @OptionGroup var options: GlobalOptions

    func validate() throws {
        guard AuditExportFormat(rawValue: format) != nil else { throw ValidationError("--format must be csv or jsonl, not \(format)") }
        for (name, value) in [("--from", from), ("--to", to)] {
            if let value, ISOTimestamp.normalise(value) == nil {
                throw ValidationError("\(name) must be an ISO 8601 time (like 2026-11-24 or 2026-11-24T08:00:00Z), not \(value)")
            }
        }
    }

    func run() throws {
        try ExitStatus.guarding {
            let database = try options.openDatabase()
            // stored times are YYYY-MM-DDTHH:MM:SS.mmmZ and compare as text; a bare --to date takes its whole day
            let from = self.from.flatMap(ISOTimestamp.normalise).map { String($0.dropLast()) + ".000Z" }
            let to = self.to.flatMap { ISOTimestamp.normalise($0.count == 10 ? $0 + "T23:59:59Z" : $0) }.map { String($0.dropLast()) + ".999Z" }
            let filter = AuditExportFilter(from: from, to: to, runID: runID)
            let format = AuditExportFormat(rawValue: self.format)!
            var result = (rows: 0, sha256: "")
            try database.read { db in
                try OutputFile.write(output) { write in
                    result = try AuditExport.export(db, filter: filter, format: format, write: write)
                }
            }
            try database.write { db in
                try AuditExport.recordExport(db, actor: options.osUser, filter: filter, format: format,
                                             output: output == "-" ? "<stdout>" : output, rows: result.rows,
                                             sha256: result.sha256, at: Date())
            }
        }
    }
}

struct AuditKeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write a new Ed25519 signing key (FILE, 0600) and its public key (FILE.pub).",
        discussion: "Sign checkpoints with --signing-key FILE (or $MDMBATCH_SIGNING_KEY); verify with audit verify --public-key FILE.pub."
    )

    @Option(name: .long, help: ArgumentHelp("The private key file to create (refused if it exists).", valueName: "file"))
    var out: String

    func run() throws {
        try ExitStatus.guarding {
            let (privateKey, publicKey) = AuditSigner.generate()
            for (path, text) in [(out, privateKey), (out + ".pub", publicKey)] {
                let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                guard fd >= 0 else {
                    if errno == EEXIST { throw OutputFileError.exists(path) }
                    throw OutputFileError.cannotCreate(path, String(cString: strerror(errno)))
                }
                defer { close(fd) }
                let written = text.withCString { write(fd, $0, strlen($0)) }
                guard written == text.utf8.count, fsync(fd) == 0 else {
                    throw OutputFileError.cannotCreate(path, String(cString: strerror(errno)))
                }
            }
            print("signing key: \(out) (keep it secret); public key: \(out).pub")
        }
    }
}
