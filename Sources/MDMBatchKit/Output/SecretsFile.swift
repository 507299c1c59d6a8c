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

    /// The open file and what its elements claim, once made; how many secrets were written.
    private let state = Mutex<(handle: FileHandle?, claim: SecretClaim?, count: Int)>((nil, nil, 0))
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

    /// Makes the file with its header (fsynced) when the first secret is about to be written.
    public func claimTarget() throws -> SecretClaim? {
        try state.withLock { state in
            if let claim = state.claim { return claim }
            let fd = try ExclusiveFile.create(path)
            let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            var info = stat()
            guard fstat(fd, &info) == 0, let absolute = realpath(path, nil) else {
                throw OutputFileError.cannotCreate(path, String(cString: strerror(errno)))
            }
            defer { free(absolute) }
            try Self.append(Array(CSVText.line(Self.header).utf8), to: handle, path: path)
            let claim = SecretClaim(path: String(cString: absolute), inode: UInt64(info.st_ino))
            state.handle = handle
            state.claim = claim
            return claim
        }
    }

    public func write(_ notices: [SecretNotice]) throws {
        guard !notices.isEmpty else { return }
        _ = try claimTarget()
        try state.withLock { state in
            guard let handle = state.handle else { return }
            try Self.append(notices.flatMap { Array(Self.line($0).utf8) }, to: handle, path: path)
            state.count += notices.count
        }
    }

    /// The line of a notice.
    static func line(_ notice: SecretNotice) -> String {
        CSVText.line(identifying(deviceID: notice.deviceID, requestID: notice.requestID, line: notice.line,
                                 action: notice.action, kind: notice.secret.kind) + [notice.secret.value])
    }

    /// The fields before the secret, which say whose line it is.
    static func identifying(deviceID: String, requestID: String?, line: Int, action: Action, kind: SecretKind) -> [String] {
        [deviceID, requestID ?? "", String(line), action.rawValue, kind.rawValue]
    }

    private static func append(_ bytes: [UInt8], to handle: FileHandle, path: String) throws {
        do {
            try handle.write(contentsOf: bytes)
            try handle.synchronize()
        } catch {
            throw OutputFileError.cannotCreate(path, error.localizedDescription)
        }
    }
}

/// A secrets file as a claim left without a mark names it: read back to learn whether the
/// claimed lines reached it (DESIGN.md, "Secrets exactly once").
struct ClaimedSecretsFile {
    /// The file's text; nil when nothing of ours is there: gone, another file in its place
    /// (another inode), a link, or not readable.
    let text: String?

    init(_ claim: SecretClaim) {
        let fd = open(claim.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { text = nil; return }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, UInt64(info.st_ino) == claim.inode,
              let data = try? handle.readToEnd() ?? Data() else { text = nil; return }
        text = "\n" + String(decoding: data, as: UTF8.self)
    }

    /// The element's line is there, whole (its secret and the line's end included).
    func holds(deviceID: String, requestID: String?, line: Int, action: Action, kind: SecretKind) -> Bool {
        guard let text else { return false }
        let fields = SecretsFile.identifying(deviceID: deviceID, requestID: requestID, line: line, action: action, kind: kind)
        let start = "\n" + CSVText.line(fields).dropLast() + ","
        guard let found = text.range(of: start) else { return false }
        let rest = text[found.upperBound...]
        // a secret is a single field of letters and digits; the line must have reached its end
        guard let end = rest.firstIndex(of: "\n") else { return false }
        return end > rest.startIndex
    }
}
