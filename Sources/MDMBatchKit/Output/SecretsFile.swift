import Foundation
import Synchronization

/// The secrets file (DESIGN.md, "Precise points"): CSV `device_id,request_id,line,action,
/// kind,secret`, created 0600 and exclusively (an existing file or a symbolic link is
/// refused: each invocation names a new one), each secret written once. The file is created
/// when its first secret arrives (DESIGN.md, "Secrets exactly once"): a command that
/// delivers none — a refused sign-in, a batch without resets — leaves no file behind, so
/// the same command can be run again.
public final class SecretsFile: SecretSink {
    public static let header = ["device_id", "request_id", "line", "action", "kind", "secret"]

    /// The open file, once the first secret was written; the lines delivered and not yet
    /// written; and how many were delivered.
    private let state = Mutex<(handle: FileHandle?, pending: [UInt8], count: Int)>((nil, [], 0))
    public let path: String

    /// Checks, before anything is sent, that the file can be made: nothing at `path` (not
    /// even a symbolic link), in a folder that takes new files.
    public init(path: String) throws {
        self.path = path
        var info = stat()
        if lstat(path, &info) == 0 { throw OutputFileError.exists(path) }
        try OutputFile.checkWritable(path)
    }

    /// How many secrets were delivered.
    public var written: Int { state.withLock { $0.count } }

    public var canDeliver: Bool { true }

    /// Takes the secret's line; it reaches the file with `makeDurable`, which the caller runs
    /// just before the commit that records the delivery: the line is written, fsynced and
    /// marked within one step, so that a process killed meanwhile leaves no line that its
    /// element does not record (which the next run or confirm would write again), or at most
    /// those of the commit under way. Not yet the claim DESIGN.md asks for ("Secrets exactly
    /// once"), which closes that last window too.
    public func deliver(_ notice: SecretNotice) throws {
        let line = CSVText.line([notice.deviceID, notice.requestID ?? "", String(notice.line), notice.action.rawValue,
                                 notice.secret.kind.rawValue, notice.secret.value])
        state.withLock { state in
            state.pending.append(contentsOf: Array(line.utf8))
            state.count += 1
        }
    }

    /// Writes the lines delivered since the last call (creating the file with its header
    /// when the first comes), then fsyncs the file.
    public func makeDurable() throws {
        try state.withLock { state in
            guard !state.pending.isEmpty else { return }
            let handle: FileHandle
            var bytes = state.pending
            if let open = state.handle {
                handle = open
            } else {
                handle = FileHandle(fileDescriptor: try ExclusiveFile.create(path), closeOnDealloc: true)
                state.handle = handle
                bytes = Array(CSVText.line(Self.header).utf8) + bytes
            }
            do {
                try handle.write(contentsOf: bytes)
                try handle.synchronize()
            } catch {
                throw OutputFileError.cannotCreate(path, error.localizedDescription)
            }
            state.pending.removeAll()
        }
    }
}
