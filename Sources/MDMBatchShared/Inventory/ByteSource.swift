import Crypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads an input file (or standard input, named `-`) in chunks and hashes every byte
/// it hands out, so the SHA-256 of what was imported costs no second pass.
public final class ByteSource {
    /// The name used in messages: the path as given, or `<stdin>`.
    public let displayName: String
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var hasher = SHA256()
    private var pending: [UInt8] = []   // bytes read ahead by `peek`
    public private(set) var bytesRead = 0

    /// The name of the input at `path` in messages.
    public static func displayName(of path: String) -> String { path == "-" ? "<stdin>" : path }

    public init(path: String, displayName name: String? = nil) throws {
        if path == "-" {
            displayName = name ?? Self.displayName(of: path)
            fd = 0
            ownsDescriptor = false
            return
        }
        displayName = name ?? path
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ImportError.fileNotFound(path)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw ImportError.unreadable(path, "is a directory")
        }
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else {
            throw ImportError.unreadable(path, String(cString: strerror(errno)))
        }
        fd = opened
        ownsDescriptor = true
    }

    deinit {
        if ownsDescriptor { close(fd) }
    }

    /// Up to `count` bytes from the start of the input, without consuming them.
    public func peek(_ count: Int) throws -> [UInt8] {
        while pending.count < count {
            var chunk = [UInt8](repeating: 0, count: count - pending.count)
            let n = try chunk.withUnsafeMutableBytes { raw in try rawRead(raw) }
            if n == 0 { break }
            pending.append(contentsOf: chunk[0..<n])
        }
        return Array(pending.prefix(count))
    }

    /// Fills `buffer` with the next bytes; returns how many (0 at end of input).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var n: Int
        if !pending.isEmpty {
            n = min(buffer.count, pending.count)
            pending.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
            pending.removeFirst(n)
        } else {
            n = try rawRead(buffer)
        }
        if n > 0 {
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            bytesRead += n
        }
        return n
    }

    /// The whole remaining input.
    public func readAll() throws -> [UInt8] {
        var all: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try chunk.withUnsafeMutableBytes { raw in try read(into: raw) }
            if n == 0 { return all }
            all.append(contentsOf: chunk[0..<n])
        }
    }

    /// Hex SHA-256 of every byte handed out so far (call once, at the end).
    public func finishDigest() -> String {
        hexString(hasher.finalize())
    }

    private func rawRead(_ buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw ImportError.unreadable(displayName, String(cString: strerror(errno)))
        }
    }
}
