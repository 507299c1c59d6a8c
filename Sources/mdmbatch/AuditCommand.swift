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

            EXAMPLES
              mdmbatch audit keygen --out audit.key
              mdmbatch audit verify --public-key audit.key.pub
              mdmbatch audit export --from 2026-11-01 --to 2026-11-30 --format csv --output november.csv
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

            EXAMPLES
              mdmbatch audit verify
              mdmbatch audit verify --public-key audit.key.pub
            """
    )

    @Option(name: .long, help: ArgumentHelp("Check signatures with this public key (FILE.pub from audit keygen).", valueName: "file"))
    var publicKey: String?

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try ExitStatus.guarding(options) {
            let key = try publicKey.map { try AuditPublicKey(file: $0) }
            let database = try options.openDatabase(.mustExist)
            switch try AuditVerifier.verify(database, publicKey: key) {
            case .success(let found):
                if !options.quiet {
                    print("audit chain intact: \(found.rows) rows, \(found.checkpoints) checkpoints (\(found.signedCheckpoints) signed),"
                          + " head \(found.headSeq) \(found.head)"
                          + (found.unsealedRows > 0 ? "; \(found.unsealedRows) rows after the last checkpoint (a run in progress or cut short)" : ""))
                }
            case .failure(let problem):
                Console.error("mdmbatch: \(problem)")
                throw ExitCode(1)
            }
        }
    }
}

extension AuditExportFormat: ExpressibleByArgument {}

struct AuditExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export audit rows as CSV (for spreadsheets) or JSONL (lossless), streamed.",
        discussion: """
            CSV cells beginning with =, +, -, @, tab, CR or LF are prefixed with ' so that no spreadsheet runs them as a
            formula; JSONL keeps every value exactly (detail as the JSON text that was hashed). Each export is itself
            recorded in the trail: who, the filter, the row count and the sha256 of the output.

            EXAMPLES
              mdmbatch audit export --format csv --from 2026-11-01 --to 2026-11-30 --output november.csv
              mdmbatch audit export --run run-20261126-080000-3fa2c1b7e0 --format jsonl > run.jsonl
            """
    )

    @Option(name: .long, help: ArgumentHelp("Rows at or after this time (ISO 8601).", valueName: "time"))
    var from: String?

    @Option(name: .long, help: ArgumentHelp("Rows at or before this time (ISO 8601; a bare date takes its whole day).", valueName: "time"))
    var to: String?

    @Option(name: .customLong("run"), help: ArgumentHelp("Rows of this run only.", valueName: "run-id"))
    var runID: String?

    @Option(name: .long, help: "csv or jsonl.")
    var format: AuditExportFormat = .csv

    @Option(name: .long, help: ArgumentHelp("Write to this file (0600, written whole) instead of standard output.", valueName: "file"))
    var output: String = "-"

    @OptionGroup var options: GlobalOptions

    func validate() throws {
        do {
            _ = try AuditExportFilter(fromText: from, toText: to, runID: runID)
        } catch {
            throw ValidationError(error.localizedDescription)
        }
    }

    func run() throws {
        try ExitStatus.guarding(options) {
            let filter = try AuditExportFilter(fromText: from, toText: to, runID: runID)
            if output != "-" { try OutputFile.checkWritable(output) }
            let database = try options.openDatabase(.mustExist)
            try AuditExport.run(database, filter: filter, format: format, actor: options.osUser,
                                outputName: output == "-" ? "<stdout>" : output, now: { Date() }) { produce in
                try Output.write(output, produce)
            }
        }
    }
}

struct AuditKeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write a new Ed25519 signing key (FILE, 0600) and its public key (FILE.pub).",
        discussion: """
            Both files are created, or neither: an existing FILE or FILE.pub is refused. Sign checkpoints with
            --signing-key FILE (or $MDMBATCH_SIGNING_KEY); verify with audit verify --public-key FILE.pub.

            EXAMPLES
              mdmbatch audit keygen --out /etc/mdmbatch/audit.key
            """
    )

    @Option(name: .long, help: ArgumentHelp("The private key file to create (refused if it exists).", valueName: "file"))
    var out: String

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try ExitStatus.guarding(options) {
            try AuditSigner.writeNewKey(to: out)
            print("signing key: \(out) (keep it secret); public key: \(out).pub")
        }
    }
}
