import Foundation
import Synchronization

/// The secrets file (DESIGN.md, "Precise points"): CSV `device_id,request_id,line,action,
/// kind,secret`, created 0600 and exclusively (an existing file or a symbolic link is
/// refused: each invocation names a new one), each secret written once.
public final class SecretsFile: SecretSink {
    public static let header = ["device_id", "request_id", "line", "action", "kind", "secret"]

    private let handle: FileHandle
    private let count = Mutex(0)
    public let path: String

    public init(path: String) throws {
        self.path = path
        handle = FileHandle(fileDescriptor: try ExclusiveFile.create(path), closeOnDealloc: true)
        do {
            try handle.write(contentsOf: Array(CSVText.line(Self.header).utf8))
        } catch {
            throw OutputFileError.cannotCreate(path, error.localizedDescription)
        }
    }

    /// How many secrets were written.
    public var written: Int { count.withLock { $0 } }

    public var canDeliver: Bool { true }

    public func deliver(_ notice: SecretNotice) throws {
        let line = CSVText.line([notice.deviceID, notice.requestID ?? "", String(notice.line), notice.action.rawValue,
                                 notice.secret.kind.rawValue, notice.secret.value])
        try count.withLock { count in
            do { try handle.write(contentsOf: Array(line.utf8)) } catch { throw OutputFileError.cannotCreate(path, error.localizedDescription) }
            count += 1
        }
    }

    public func makeDurable() throws {
        try count.withLock { _ in
            do { try handle.synchronize() } catch { throw OutputFileError.cannotCreate(path, error.localizedDescription) }
        }
    }
}
