import Foundation
import Logging

/// `run-spool DIR`: every batch file of `DIR/incoming`, in name order, run as `run` would;
/// once its run is finished, its report (`NAME.report.json`) and any secrets
/// (`NAME.passcodes.csv`, 0600) are written to a staging folder, moved beside the
/// destination, and the batch file is moved last: to `DIR/done` when every request
/// succeeded, else to `DIR/failed` (a malformed batch too, with `NAME.error.txt`). A crash
/// or a signal at any point leaves the batch in `incoming/`, where the next spool resumes it.
public struct Spool: Sendable {
    public enum Destination: String, Sendable { case done, failed }

    public let root: URL

    public init(root: URL) { self.root = root }

    /// What a spool run did.
    public struct Outcome: Sendable, Equatable {
        public var done = 0
        public var failed = 0
        /// A signal (or the service's refusal) stopped it; the batch in progress stays in incoming/.
        public var interrupted = false
        public var stopReason: StopReason?
    }

    /// Runs every waiting batch through `batchRun`.
    public func run(_ batchRun: BatchRun, stop: StopSignal, progress: RunProgress) async throws -> Outcome {
        var outcome = Outcome()
        var logger = batchRun.logger
        logger[metadataKey: "spool"] = "\(root.path)"
        for batch in try incoming() {
            if stop.isRequested {
                outcome.interrupted = true
                outcome.stopReason = stop.reason
                return outcome
            }
            let name = batch.lastPathComponent
            // what an interrupted earlier attempt staged (its secrets above all) is kept
            let staging = self.staging(for: name)
            do {
                try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
            } catch {
                throw OutputFileError.cannotCreate(staging.path, error.localizedDescription)
            }
            let secretsPath = newSecretsFile(in: staging, for: name)
            let secrets = try SecretsFile(path: secretsPath.path)
            func dropSecretsFileIfEmpty() {
                if secrets.written == 0 { try? FileManager.default.removeItem(at: secretsPath) }
            }
            let finished: BatchRun.Finished
            do {
                if let done = try RunReports.finishedRun(ofBatchAt: batch.path, batchRun.database) {
                    // finished before a crash kept it from being filed: file it, send nothing
                    logger.info("batch already run: filing it", metadata: ["batch": "\(name)", "run": "\(done.id)"])
                    finished = try batchRun.finished(runID: done.id)
                } else {
                    finished = try await batchRun.run(batchPath: batch.path, secrets: secrets, stop: stop, progress: progress)
                }
            } catch let error where Self.fileAsFailed(error) {
                logger.error("malformed batch: filed under failed", metadata: ["batch": "\(name)", "error": "\(error.localizedDescription)"])
                try ExclusiveFile.write(error.localizedDescription + "\n", to: staging.appendingPathComponent("\(name).error.txt").path)
                dropSecretsFileIfEmpty()
                try file(batch, staging: staging, to: .failed)
                outcome.failed += 1
                continue
            }
            dropSecretsFileIfEmpty()
            if finished.outcome.interrupted {
                outcome.interrupted = true
                outcome.stopReason = finished.outcome.stopReason
                return outcome
            }
            try OutputFile.write(staging.appendingPathComponent("\(name).report.json").path) { write in
                try RunReports.write(batchRun.database, runID: finished.run.id, format: .json, to: write)
            }
            let destination: Destination = finished.allWell ? .done : .failed
            try file(batch, staging: staging, to: destination)
            if destination == .done { outcome.done += 1 } else { outcome.failed += 1 }
            logger.info("batch filed", metadata: ["batch": "\(name)", "run": "\(finished.run.id)", "to": "\(destination.rawValue)"])
        }
        return outcome
    }

    /// A batch that cannot be run as it is (malformed, or without a request) is filed
    /// under failed with the reason, and the spool goes on.
    static func fileAsFailed(_ error: any Error) -> Bool {
        if let error = error as? BatchError { return error.failureKind == .dataError }
        if case .emptyBatch? = error as? RunError { return true }
        return false
    }

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
    func newSecretsFile(in staging: URL, for name: String) -> URL {
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
        do {
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        } catch {
            throw OutputFileError.cannotCreate(target.path, error.localizedDescription)
        }
        for output in (try? FileManager.default.contentsOfDirectory(atPath: staging.path)) ?? [] {
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

public enum SpoolError: LocalizedError, ClassifiedError {
    case noIncoming(String)

    public var errorDescription: String? {
        switch self {
        case .noIncoming(let path): "\(path): no such directory (the spool needs an incoming/ folder)"
        }
    }

    public var failureKind: FailureKind { .noInput }
}
