import Foundation

/// An append-only file of lines (JSONL), mode 0600, opened with O_APPEND and not through a
/// symbolic link: each line is one `write(2)`, under a lock, so that a line survives the
/// process being killed (not a power loss) and lines of concurrent writers never mix.
/// mdmbatch's mock service keeps its journal and its memory in one; graph-sim its journal.
public final class AppendOnlyFile: Sendable {
    /// Why the file could not be opened (`strerror`).
    public struct OpenError: Error, Sendable {
        public var path: String
        public var reason: String
    }

    private let descriptor: Int32
    private let lock = NSLock()

    public init(path: String) throws(OpenError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw OpenError(path: path, reason: String(cString: strerror(errno))) }
        descriptor = fd
    }

    deinit {
        close(descriptor)
    }

    /// Appends `line` and a newline.
    public func append(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        lock.withLock {
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}
