import Foundation
import Logging
import MDMBatchKit

/// Writes log records to stderr: `level: message key=value …`, or one JSON object a line.
/// Control characters in the text format are shown escaped: a value read from a file
/// cannot forge a log line or drive the terminal.
struct StderrLogHandler: LogHandler {
    let format: LogFormat
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let line: String
        switch format {
        case .text:
            let pairs = all.sorted { $0.key < $1.key }.map { "\($0.key)=\(TerminalText.escaped($0.value.description))" }
            line = (["\(event.level): \(TerminalText.escaped(event.message.description))"] + pairs).joined(separator: " ")
        case .json:
            var object: [String: JSONValue] = [
                "time": .string(ISOTimestamp.formatMillis(Date())),
                "level": .string(event.level.rawValue),
                "message": .string(event.message.description),
            ]
            for (key, value) in all { object[key] = .string(value.description) }
            line = JSONValue.object(object).canonicalText
        }
        Console.error(line)
    }
}
