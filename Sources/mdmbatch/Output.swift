import Foundation
import MDMBatchKit

/// Where a command's output goes: a file (written whole, 0600) or, for `-`, standard output.
enum Output {
    static func write(_ path: String, _ body: ((String) throws -> Void) throws -> Void) throws {
        guard path == "-" else { return try OutputFile.write(path, body) }
        let output = StandardOutput()
        try body { output.write($0, newline: false) }
        output.flush()
    }
}

/// Buffered writes to stdout: a million-line plan is not a million write calls.
final class StandardOutput {
    private var pending: [UInt8] = []

    /// Writes `text` and, unless `newline` is false, a newline.
    func write(_ text: String, newline: Bool = true) {
        pending.append(contentsOf: text.utf8)
        if newline { pending.append(0x0A) }
        if pending.count > 1 << 16 { flush() }
    }

    func flush() {
        guard !pending.isEmpty else { return }
        FileHandle.standardOutput.write(Data(pending))
        pending.removeAll(keepingCapacity: true)
    }
}

/// Secrets shown on the terminal, when no secrets file is given and stdout is a terminal.
final class TerminalSecrets: SecretSink {
    /// Where `--passcodes-out` says: a new file (0600), or else the terminal.
    static func sink(passcodesOut path: String?) throws -> any SecretSink {
        try path.map { try SecretsFile(path: $0) } ?? TerminalSecrets()
    }

    var canDeliver: Bool { isatty(STDOUT_FILENO) == 1 }

    /// The terminal cannot be read back: its secrets are shown, then recorded as delivered.
    func claimTarget() throws -> SecretClaim? { nil }

    func write(_ notices: [SecretNotice]) throws {
        for notice in notices {
            let kind = notice.secret.kind.displayName
            let request = notice.requestID.map { ", request \(TerminalText.escaped($0))" } ?? ""
            FileHandle.standardOutput.write(Data(
                "\(kind) for \(TerminalText.escaped(notice.deviceID)) (line \(notice.line)\(request)): \(notice.secret.value)\n".utf8))
        }
    }
}

enum Console {
    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
