import Foundation
import Logging
import MDMBatchKit

/// Writes log records to stderr: `level: message key=value …`, or one JSON object a line.
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
            let pairs = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            line = (["\(event.level): \(event.message)"] + pairs).joined(separator: " ")
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

enum Console {
    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
