import ArgumentParser
import Foundation
import Logging
import MDMBatchKit

struct RunSpoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-spool",
        abstract: "Run every batch file of DIR/incoming in name order, then file each under DIR/done or DIR/failed.",
        discussion: """
            For a nightly job. Each batch is run as `mdmbatch run` would; once its run is finished, its report
            (NAME.report.json) and any temporary passcodes (NAME.passcodes.csv, 0600) are written to the destination,
            and the batch file is moved beside them: to DIR/done when every request succeeded, else to DIR/failed
            (some rejected, failed or unknown, or the file is malformed: NAME.error.txt says why).
            A batch is moved only after its run is terminal: after a crash or a signal it stays in DIR/incoming and the
            next run-spool resumes it (a batch whose run already finished is filed without being sent again).
            Holds the database's run lock for the whole spool. Exit status: 0 every batch done; 1 some filed under
            failed; 75 interrupted or another run holds the database; 74 database I/O error.
            """
    )

    @Argument(help: ArgumentHelp("The spool directory (with incoming/; done/ and failed/ are created).", valueName: "dir"))
    var directory: String

    @OptionGroup var dispatch: DispatchOptions

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await ExitStatus.guardingAsync {
            let spool = Spool(root: URL(fileURLWithPath: directory))
            let batches = try spool.incoming()
            let lock = try RunLock(databasePath: options.databasePath, command: "mdmbatch run-spool \(directory)")
            defer { withExtendedLifetime(lock) {} }
            let database = try options.openDatabase()
            var logger = options.makeLogger()
            logger[metadataKey: "spool"] = "\(directory)"
            let stop = StopSignal()
            let signals = SignalWatch(stop: stop, logger: logger)
            defer { signals.cancel() }
            let execution = BatchExecution(options: options, dispatch: dispatch, database: database, logger: logger)
            var failed = 0
            for batch in batches {
                if stop.isRequested { throw ExitCode(75) }
                let name = batch.lastPathComponent
                // what an interrupted earlier attempt staged (its passcodes above all) is kept
                let staging = spool.staging(for: name)
                try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
                let passcodesFile = spool.newPasscodesFile(in: staging, for: name)
                let passcodes = try PasscodeOutput(path: passcodesFile.path)
                func dropPasscodesFileIfEmpty() {
                    if passcodes.shown == 0 { try? FileManager.default.removeItem(at: passcodesFile) }
                }
                let finished: BatchExecution.Finished
                do {
                    if let done = try database.read({ try RunReports.finishedRun(ofBatchAt: batch.path, $0) }) {
                        // finished before a crash kept it from being filed: file it, send nothing
                        logger.info("batch already run: filing it", metadata: ["batch": "\(name)", "run": "\(done.id)"])
                        finished = try execution.finished(runID: done.id)
                    } else {
                        finished = try await execution.run(batch: batch.path, passcodes: passcodes, stop: stop)
                    }
                } catch let error as BatchError where error.failureKind == .dataError {
                    logger.error("malformed batch: filed under failed", metadata: ["batch": "\(name)", "error": "\(error.localizedDescription)"])
                    try Data((error.localizedDescription + "\n").utf8).write(to: staging.appendingPathComponent("\(name).error.txt"))
                    dropPasscodesFileIfEmpty()
                    try spool.file(batch, staging: staging, to: .failed)
                    failed += 1
                    continue
                }
                dropPasscodesFileIfEmpty()
                if finished.outcome.interrupted { throw ExitCode(75) }
                try execution.writeReport(finished, to: staging.appendingPathComponent("\(name).report.json").path)
                try spool.file(batch, staging: staging, to: finished.allWell ? .done : .failed)
                if !finished.allWell { failed += 1 }
                logger.info("batch filed", metadata: ["batch": "\(name)", "run": "\(finished.outcome.runID)",
                                                      "to": "\(finished.allWell ? "done" : "failed")"])
            }
            if failed > 0 { throw ExitCode(1) }
        }
    }
}

/// DIR/incoming → DIR/done | DIR/failed. A batch's outputs are written into a staging
/// folder first, moved beside the destination, and the batch file is moved last: a crash
/// at any point leaves the batch in incoming/, where the next spool run picks it up.
struct Spool {
    enum Destination: String { case done, failed }

    let root: URL

    var incomingDirectory: URL { root.appendingPathComponent("incoming") }

    /// The batch files waiting, in name order (hidden files skipped).
    func incoming() throws -> [URL] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: incomingDirectory.path)
        } catch {
            throw SpoolError.noIncoming(incomingDirectory.path)
        }
        return names.filter { !$0.hasPrefix(".") }.sorted().map { incomingDirectory.appendingPathComponent($0) }
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
    }

    func staging(for name: String) -> URL { root.appendingPathComponent(".staging").appendingPathComponent(name) }

    /// `NAME.passcodes.csv`, or `NAME.passcodes.K.csv` when an earlier attempt left one.
    func newPasscodesFile(in staging: URL, for name: String) -> URL {
        var candidate = staging.appendingPathComponent("\(name).passcodes.csv")
        var index = 2
        while FileManager.default.fileExists(atPath: candidate.path) {
            candidate = staging.appendingPathComponent("\(name).passcodes.\(index).csv")
            index += 1
        }
        return candidate
    }

    /// Moves the staged outputs, then the batch, into `destination`.
    func file(_ batch: URL, staging: URL, to destination: Destination) throws {
        let target = root.appendingPathComponent(destination.rawValue)
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        for output in try FileManager.default.contentsOfDirectory(atPath: staging.path) {
            try replace(target.appendingPathComponent(output), with: staging.appendingPathComponent(output))
        }
        try replace(target.appendingPathComponent(batch.lastPathComponent), with: batch)
        try? FileManager.default.removeItem(at: staging)
    }

    /// rename(2): atomic, and replaces what a crashed earlier attempt left.
    private func replace(_ destination: URL, with source: URL) throws {
        guard rename(source.path, destination.path) == 0 else {
            throw OutputFileError.cannotCreate(destination.path, String(cString: strerror(errno)))
        }
    }
}

enum SpoolError: LocalizedError, ClassifiedError {
    case noIncoming(String)

    var errorDescription: String? {
        switch self {
        case .noIncoming(let path): "\(path): no such directory (the spool needs an incoming/ folder)"
        }
    }

    var failureKind: FailureKind { .noInput }
}
