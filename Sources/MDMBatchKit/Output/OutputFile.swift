import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An output file that cannot be written.
public enum OutputFileError: LocalizedError, ClassifiedError, Equatable {
    case cannotCreate(String, String)
    case exists(String)

    public var errorDescription: String? {
        switch self {
        case .cannotCreate(let path, let reason): "\(path): cannot create: \(reason)"
        case .exists(let path): "\(path): already exists (refusing to overwrite)"
        }
    }

    public var failureKind: FailureKind { .cannotCreate }
}

/// Output files: written whole (to a temporary name in the same folder, then renamed) so
/// that a reader never sees half a report; mode 0600.
public enum OutputFile {
    /// Writes what `body` produces to `path` atomically. A failure to write is 73; any
    /// other error (a database error while producing the content, say) keeps its own kind.
    public static func write(_ path: String, _ body: ((String) throws -> Void) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw OutputFileError.cannotCreate(path, String(cString: strerror(errno))) }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        func writing(_ operation: () throws -> Void) throws {
            do { try operation() } catch { throw OutputFileError.cannotCreate(path, "\(error.localizedDescription)") }
        }
        do {
            var buffer: [UInt8] = []
            try body { text in
                buffer.append(contentsOf: text.utf8)
                if buffer.count > 1 << 16 {
                    try writing { try handle.write(contentsOf: buffer) }
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            try writing {
                try handle.write(contentsOf: buffer)
                try handle.synchronize()
            }
            guard rename(temporary.path, path) == 0 else {
                throw OutputFileError.cannotCreate(path, String(cString: strerror(errno)))
            }
        } catch {
            unlink(temporary.path)
            throw error
        }
    }

    /// Checks, before anything is sent, that `path` can be written: its folder exists and
    /// takes new files, and the path is not a folder.
    public static func checkWritable(_ path: String) throws {
        let url = URL(fileURLWithPath: path)
        var info = stat()
        if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            throw OutputFileError.cannotCreate(path, "is a directory")
        }
        let folder = url.deletingLastPathComponent().path
        guard stat(folder, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw OutputFileError.cannotCreate(path, "no such directory: \(folder)")
        }
        guard access(folder, W_OK | X_OK) == 0 else {
            throw OutputFileError.cannotCreate(path, "\(folder): \(String(cString: strerror(errno)))")
        }
    }
}

/// A new file that only its owner can read (0600), created exclusively: an existing file
/// or a symbolic link at the path is refused, never overwritten or followed.
public enum ExclusiveFile {
    /// The open descriptor of the new file.
    public static func create(_ path: String) throws -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { throw OutputFileError.exists(path) }
            throw OutputFileError.cannotCreate(path, String(cString: strerror(errno)))
        }
        return fd
    }

    /// Creates `path` holding `text`, flushed to disk.
    public static func write(_ text: String, to path: String) throws {
        let fd = try create(path)
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw OutputFileError.cannotCreate(path, String(cString: strerror(errno)))
        }
    }
}
