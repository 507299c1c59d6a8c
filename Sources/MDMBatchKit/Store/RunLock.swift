import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One `run` per database: an advisory `flock` on `DB.lock`, held for the life of the
/// process (the kernel drops it when the process dies, however it dies). The file says
/// who holds it, so that the one refused can name the holder. Readers take no lock.
public final class RunLock: Sendable {
    public let path: String
    private let descriptor: Int32

    /// Takes the lock at once or throws `RunLockError.held` naming the holder; the file
    /// says when it was taken, by `clock`.
    public init(databasePath: String, command: String, clock: any EngineClock = SystemClock()) throws {
        path = databasePath + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw RunLockError.cannotOpen(path, String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = Self.read(fd)
            close(fd)
            if reason == EWOULDBLOCK { throw RunLockError.held(path, holder: holder) }
            throw RunLockError.cannotOpen(path, String(cString: strerror(reason)))
        }
        descriptor = fd
        let note = "pid \(getpid()), started \(ISOTimestamp.format(epochSeconds: Int64(clock.date().timeIntervalSince1970))), \(command)\n"
        _ = ftruncate(fd, 0)
        _ = note.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    private static func read(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return "another process" }
        return String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

public enum RunLockError: LocalizedError, ClassifiedError, Equatable {
    case held(String, holder: String)
    case cannotOpen(String, String)

    public var errorDescription: String? {
        switch self {
        case .held(let path, let holder):
            "another run holds this database (\(holder); lock \(path)): try again when it has finished"
        case .cannotOpen(let path, let reason):
            "\(path): cannot open the run lock: \(reason)"
        }
    }

    public var failureKind: FailureKind {
        switch self {
        case .held: .temporary
        case .cannotOpen: .ioError
        }
    }
}
