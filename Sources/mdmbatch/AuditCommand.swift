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
            Once a database holds a signed checkpoint, no command adds an unsigned one: import and run refuse without
            the key (exit 78, before they change anything); plan and audit export still work without it, and leave
            their rows for the next signed command to seal.

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
            Reads every row in seq order and checks:
            - the chain: seq has no gap; each row's prev_hash is the hash of the row before it (64 zeros for row 1); \
            each row's hash is SHA-256(prev_hash ‖ canonical row) of its own contents.
            - checkpoints: each names the head it seals: head_seq is the row just before it, head that row's hash.
            - signatures: a signed checkpoint names its public key, and its signature verifies with that key over its \
            seq, head_seq and head; once one checkpoint is signed, every later one must be.
            - the tail: every run the database records as ended still has the row recording its end, and every \
            recorded import its import row.

            With --public-key FILE.pub, every signed checkpoint must be signed by that key (so every checkpoint from \
            the first signed one on is), and at least one must be: a checkpoint signed by another key fails. Without \
            it, each signature is checked with the key its own checkpoint names (anyone can sign with a key of their \
            own): compare the fingerprints printed with your key's.

            Rows after the last checkpoint are unsealed: chained, but not covered by a checkpoint (or its signature) \
            yet. They are a run in progress or cut short, or plan and export rows written without the key of a \
            signed database, which the next signed command seals. They are counted, not refused.

            No database can show by itself a tail cut after a checkpoint, or rows removed together with their \
            checkpoint, when nothing else records them. Keep the head this command prints (or a checkpoint's \
            head_seq:head) elsewhere and pass it back: --expect-head SEQ:HASH requires row SEQ to be in the chain with \
            that hash. A log that ends before SEQ has lost its tail; another hash at SEQ means the history up to it \
            was changed or replaced.

            Exit 0 with one line: rows, checkpoints (how many signed), the head as SEQ:HASH, each key that signed \
            (its fingerprint: the first 16 hex digits of the SHA-256 of the raw public key) with how many checkpoints \
            it signed, and the unsealed rows. Exit 1 naming the first bad row and what is wrong (missing rows, broken \
            link, changed row, bad checkpoint, bad signature, unsigned checkpoint, truncated tail, replaced history), \
            or "audit_log missing" when the table was dropped.

            EXAMPLES
              mdmbatch audit verify
              mdmbatch audit verify --public-key audit.key.pub
              mdmbatch audit verify --public-key audit.key.pub --expect-head 1042:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
            """
    )

    @Option(name: .long, help: ArgumentHelp("Require every checkpoint from the first signed one on to be signed by this public key (FILE.pub from audit keygen).", valueName: "file"))
    var publicKey: String?

    @Option(name: .long, help: ArgumentHelp("Require row SEQ with hash HASH: a head printed by an earlier verify, kept elsewhere.", valueName: "seq:hash"),
            transform: { text in
                guard let head = AuditHead(text) else {
                    throw ValidationError("expected SEQ:HASH, a row number and its 64-hex-digit hash as audit verify prints the head")
                }
                return head
            })
    var expectHead: AuditHead?

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try ExitStatus.guarding(options) {
            let key = try publicKey.map { try AuditPublicKey(file: $0) }
            let database = try options.openDatabase(.mustExist)
            let verification = try AuditVerifier.verify(database, publicKey: key, expectHead: expectHead)
            switch verification {
            case .success(let found):
                if !options.quiet { print(Self.summary(found, expectHead: expectHead)) }
            case .failure(let problem):
                Console.error("mdmbatch: \(problem)")
            }
            try ExitStatus.finish(verification, options)
        }
    }

    /// One line: counts, the head to keep elsewhere, who signed, what is not sealed yet.
    static func summary(_ found: AuditVerification, expectHead: AuditHead?) -> String {
        var line = "audit chain intact: \(found.rows) rows, \(found.checkpoints) checkpoints (\(found.signedCheckpoints) signed),"
            + " head \(found.chainHead)"
        if !found.signers.isEmpty {
            line += "; signed by " + found.signers.map {
                "key \($0.fingerprint) (\($0.checkpoints) checkpoint\($0.checkpoints == 1 ? "" : "s"))"
            }.joined(separator: ", ")
        }
        if let expectHead { line += "; row \(expectHead.seq) matches the expected head" }
        if found.unsealedRows > 0 {
            line += "; \(found.unsealedRows) rows after the last checkpoint (unsealed: a run in progress or cut short,"
                + " or plan and export rows left for the next signed command)"
        }
        return line
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
            recorded in the trail: who, the filter, the row count and the sha256 of the output; and sealed by a
            checkpoint, except in a database whose checkpoints are signed when no signing key is given: an auditor with
            only the public key can export, and the next signed command seals the row.

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

    /// --from, --to and --run, parsed once by validate().
    private var filter = AuditExportFilter()

    private enum CodingKeys: String, CodingKey {
        case from, to, runID, format, output, options
    }

    mutating func validate() throws {
        do {
            filter = try AuditExportFilter(fromText: from, toText: to, runID: runID)
        } catch {
            throw ValidationError(error.localizedDescription)
        }
    }

    func run() throws {
        try ExitStatus.guarding(options) {
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
