import Foundation
import MDMBatchKit

/// Output files: written whole (to a temporary name, then renamed) so a reader never
/// sees half a report; mode 0600 (the process umask is 077).
enum OutputFile {
    /// Writes what `body` produces to `path` atomically; `-` is standard output.
    static func write(_ path: String, _ body: ((String) throws -> Void) throws -> Void) throws {
        if path == "-" {
            let output = StandardOutput()
            try body { output.write($0, newline: false) }
            output.flush()
            return
        }
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: temporary.path) else {
            throw OutputFileError.cannotCreate(path, String(cString: strerror(errno)))
        }
        // a failure to write is 73; any other error (a database error while producing the
        // content, say) keeps its own kind
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
                try handle.close()
            }
            guard rename(temporary.path, path) == 0 else {
                throw OutputFileError.cannotCreate(path, String(cString: strerror(errno)))
            }
        } catch {
            unlink(temporary.path)
            throw error
        }
    }
}

/// Where temporary passcodes go: a new file (0600, refused if it exists), or the terminal.
final class PasscodeOutput: @unchecked Sendable {
    // @unchecked: every access to `handle` and `count` holds `lock`.
    private let lock = NSLock()
    private let handle: FileHandle?
    private var count = 0

    /// Opens `path` (created exclusively, 0600), or the terminal when nil.
    init(path: String?) throws {
        guard let path else {
            handle = nil
            return
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { throw OutputFileError.exists(path) }
            throw OutputFileError.cannotCreate(path, String(cString: strerror(errno)))
        }
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        try handle?.write(contentsOf: Array("device_id,request_id,line,temporary_passcode\n".utf8))
    }

    /// How many passcodes were shown.
    var shown: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    /// True when a passcode can be shown: a file, or a terminal on stdout.
    var canShow: Bool { handle != nil || isatty(STDOUT_FILENO) == 1 }

    /// Flushes the file to disk (the engine calls this before it records a passcode's
    /// reset as done).
    func makeDurable() throws {
        lock.lock()
        defer { lock.unlock() }
        try handle?.synchronize()
    }

    /// Writes the passcode; `makeDurable` makes it durable.
    func show(_ notice: TemporaryPasscode) throws {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        if let handle {
            let line = [notice.deviceID, notice.requestID ?? "", String(notice.line), notice.passcode]
                .map(CSVText.field).joined(separator: ",") + "\n"
            try handle.write(contentsOf: Array(line.utf8))
        } else {
            FileHandle.standardOutput.write(Data("temporary passcode for \(notice.deviceID) (line \(notice.line)\(notice.requestID.map { ", request \($0)" } ?? "")): \(notice.passcode)\n".utf8))
        }
    }
}

enum CSVText {
    /// A CSV field, quoted when it needs to be.
    static func field(_ text: String) -> String {
        // bytes, not Characters: "\r\n" is one Character, equal to neither "\r" nor "\n"
        text.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D })
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
