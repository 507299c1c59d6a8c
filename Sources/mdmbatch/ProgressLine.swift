import Foundation
import MDMBatchKit

/// The progress of a run on a terminal: one line on stderr, redrawn at most 10 times a
/// second; nothing when stderr is not a terminal.
final class ProgressLine: Sendable {
    private let task: Task<Void, Never>?

    private init(task: Task<Void, Never>?) { self.task = task }

    static func start(_ progress: RunProgress, enabled: Bool) -> ProgressLine {
        guard enabled, isatty(STDERR_FILENO) == 1 else { return ProgressLine(task: nil) }
        let started = Date()
        return ProgressLine(task: Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                let snapshot = progress.snapshot
                guard snapshot.total > 0 else { continue }
                let rate = Double(snapshot.done) / max(0.001, Date().timeIntervalSince(started))
                let line = "\r\u{1B}[K  \(snapshot.done)/\(snapshot.total) done · \(snapshot.failed) failed · \(Int(rate))/s"
                FileHandle.standardError.write(Data(line.utf8))
            }
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        })
    }

    func finish() async {
        task?.cancel()
        await task?.value
    }
}
