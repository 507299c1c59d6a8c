import Foundation

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
