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
            // what an interrupted earlier attempt staged (its secrets above all) is kept; a
            // staging folder already there says this file was being run before a crash
            let staging = self.staging(for: name)
            let attemptedBefore = FileManager.default.fileExists(atPath: staging.path)
            do {
                try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
            } catch {
                throw OutputFileError.cannotCreate(staging.path, error.localizedDescription)
            }
            if let refusal = Self.refusal(of: batch) {
                // never followed nor read: filed as it is, with why
                logger.error("batch not run: filed under failed", metadata: ["batch": "\(name)", "error": "\(refusal)"])
                try ExclusiveFile.write("\(name): \(refusal)\n", to: staging.appendingPathComponent("\(name).error.txt").path)
                try file(batch, staging: staging, to: .failed)
                outcome.failed += 1
                continue
            }
            let secretsPath = newSecretsFile(in: staging, for: name)
            // made only when its first secret comes
            let secrets = try SecretsFile(path: secretsPath.path)
            let finished: BatchRun.Finished
            do {
                if attemptedBefore, let done = try RunReports.finishedRun(ofBatchAt: batch.path, batchRun.database) {
                    // finished before a crash kept it from being filed: file it, send nothing
                    logger.info("batch already run: filing it", metadata: ["batch": "\(name)", "run": "\(done.id)"])
                    finished = try batchRun.finished(runID: done.id)
                } else {
                    // a file dropped anew is a new request, as `run` makes it (what an
                    // earlier run did is skipped as already done)
                    finished = try await batchRun.run(batchPath: batch.path, secrets: secrets, stop: stop, progress: progress)
                }
            } catch let error where Self.fileAsFailed(error) {
                // neither the log nor NAME.error.txt quotes the file: it may not be what was listed
                let why = Self.unquoted(error, name: name)
                logger.error("malformed batch: filed under failed", metadata: ["batch": "\(name)", "error": "\(why)"])
                try ExclusiveFile.write(why + "\n", to: staging.appendingPathComponent("\(name).error.txt").path)
                try file(batch, staging: staging, to: .failed)
                outcome.failed += 1
                continue
            }
            // the sign-in failed: nothing was sent, the batch waits in incoming/
            if let failure = finished.outcome.transportFailure { throw failure }
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

    /// Why the entry at `path` is not run, or nil for a regular file: it is opened without
    /// following a symbolic link and checked on the open descriptor, so a link swapped in
    /// after the listing is refused too.
    static func refusal(of path: URL) -> String? {
        var info = stat()
        guard lstat(path.path, &info) == 0 else { return "cannot be read: \(String(cString: strerror(errno)))" }
        if (info.st_mode & S_IFMT) == S_IFLNK { return "a symbolic link: spooled batches must be regular files (not followed)" }
        let fd = open(path.path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            return errno == ELOOP ? "a symbolic link: spooled batches must be regular files (not followed)"
                : "cannot be read: \(String(cString: strerror(errno)))"
        }
        defer { close(fd) }
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return "not a regular file" }
        return nil
    }

    /// What `NAME.error.txt` says: where the batch is malformed, never what it holds (a
    /// file swapped for another one must not have its content copied out).
    static func unquoted(_ error: any Error, name: String) -> String {
        switch error {
        case BatchError.malformed(let location, _):
            "\(name):\(location.line):\(location.column): malformed batch (run `mdmbatch plan` on it to see why)"
        case RunError.emptyBatch:
            "\(name): holds no request (a header only?)"
        default:
            "\(name): malformed batch (run `mdmbatch plan` on it to see why)"
        }
    }

    var incomingDirectory: URL { root.appendingPathComponent("incoming") }

    /// The entries waiting, in name order: hidden files and folders skipped; symbolic links
    /// and other odd entries kept, to be filed under failed with why.
    func incoming() throws -> [URL] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: incomingDirectory.path)
        } catch {
            throw SpoolError.noIncoming(incomingDirectory.path)
        }
        return names.filter { !$0.hasPrefix(".") }.sorted().map { incomingDirectory.appendingPathComponent($0) }
            .filter { url in
                var info = stat()
                return lstat(url.path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFDIR
            }
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

    /// Moves the staged outputs, then the batch, into `destination`, never over a file there:
    /// when a name of the group is taken (a batch of the same name filed before, a file named
    /// like another one's report), the whole group takes the first free `NAME.K` prefix
    /// (`a.csv` → `a.2.csv`, its report `a.2.csv.report.json`).
    func file(_ batch: URL, staging: URL, to destination: Destination) throws {
        let target = root.appendingPathComponent(destination.rawValue)
        do {
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        } catch {
            throw OutputFileError.cannotCreate(target.path, error.localizedDescription)
        }
        let name = batch.lastPathComponent
        let outputs = (try? FileManager.default.contentsOfDirectory(atPath: staging.path)) ?? []
        var index = 1
        while true {
            let prefix = Self.prefix(of: name, index: index)
            let moves = outputs.map { (staging.appendingPathComponent($0), target.appendingPathComponent(prefix + $0.dropFirst(name.count))) }
                + [(batch, target.appendingPathComponent(prefix))]
            if moves.contains(where: { Self.exists($0.1) }) {
                index += 1
                continue
            }
            for (source, destination) in moves { try move(source, to: destination) }
            break
        }
        try? FileManager.default.removeItem(at: staging)
    }

    /// `name` for the first, then `a.2.csv` for `a.csv` (`name.2` for a name without a dot).
    static func prefix(of name: String, index: Int) -> String {
        guard index > 1 else { return name }
        guard let dot = name.dropFirst().firstIndex(of: ".") else { return "\(name).\(index)" }
        return "\(name[..<dot]).\(index)\(name[dot...])"
    }

    private static func exists(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0
    }

    /// link(2) then unlink(2): never replaces what is at `destination` (rename(2) would).
    private func move(_ source: URL, to destination: URL) throws {
        guard link(source.path, destination.path) == 0 else {
            throw OutputFileError.cannotCreate(destination.path, String(cString: strerror(errno)))
        }
        unlink(source.path)
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

/// How a spool ended: 77 when the service refused the sign-in or a permission, 75 when
/// interrupted, 1 when a batch was filed under failed.
extension Spool.Outcome: CommandResult {
    public var failure: FailureKind? {
        if let cause = failureCause { return FailureKind(of: cause) }
        if interrupted { return .temporary }
        return failed > 0 ? .completedWithFailures : nil
    }

    public var failureCause: (any Error)? {
        guard case .serviceRefused(let error)? = stopReason else { return nil }
        return RunStopped.serviceRefused("in progress", error)
    }
}
