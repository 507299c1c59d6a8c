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

    /// The open file, once the first secret came; and how many were written.
    private let state = Mutex<(handle: FileHandle?, count: Int)>((nil, 0))
    public let path: String

    /// Checks, before anything is sent, that the file can be made: nothing at `path` (not
    /// even a symbolic link), in a folder that takes new files.
    public init(path: String) throws {
        self.path = path
        var info = stat()
        if lstat(path, &info) == 0 { throw OutputFileError.exists(path) }
        try OutputFile.checkWritable(path)
    }

    /// How many secrets were written.
    public var written: Int { state.withLock { $0.count } }

    public var canDeliver: Bool { true }

    public func deliver(_ notice: SecretNotice) throws {
        let line = CSVText.line([notice.deviceID, notice.requestID ?? "", String(notice.line), notice.action.rawValue,
                                 notice.secret.kind.rawValue, notice.secret.value])
        try state.withLock { state in
            let handle: FileHandle
            var text = line
            if let open = state.handle {
                handle = open
            } else {
                handle = FileHandle(fileDescriptor: try ExclusiveFile.create(path), closeOnDealloc: true)
                state.handle = handle
                text = CSVText.line(Self.header) + line
            }
            do { try handle.write(contentsOf: Array(text.utf8)) } catch { throw OutputFileError.cannotCreate(path, error.localizedDescription) }
            state.count += 1
        }
    }

    public func makeDurable() throws {
        try state.withLock { state in
            do { try state.handle?.synchronize() } catch { throw OutputFileError.cannotCreate(path, error.localizedDescription) }
        }
    }
}
