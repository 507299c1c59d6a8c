import Foundation

/// Why a batch file was refused.
public enum BatchError: LocalizedError, ClassifiedError, Equatable {
    case malformed(SourceLocation, String)
    case fileNotFound(String)
    case unreadable(String, String)

    public var errorDescription: String? {
        switch self {
        case .malformed(let location, let message): "\(location): \(message)"
        case .fileNotFound(let path): "\(path): no such file"
        case .unreadable(let path, let reason): "\(path): cannot read: \(reason)"
        }
    }

    public var failureKind: FailureKind {
        switch self {
        case .malformed: .dataError
        case .fileNotFound, .unreadable: .noInput
        }
    }
}

/// One request of a batch file, as written.
public struct BatchRequest: Sendable, Equatable {
    public var line: Int
    public var requestID: String?
    public var actionText: String
    public var target: String
    public var targetTypeText: String?
    public var justification: String?
    public var requestedBy: String?
    public var ticket: String?

    /// nil when the action is none of the names (check 1 rejects it).
    public var action: Action? { Action(name: actionText) }

    /// The target type; `.failure` when one is given but unknown.
    public var targetType: Result<TargetType?, BatchRequestProblem> {
        guard let text = targetTypeText, !text.isEmpty else { return .success(nil) }
        return TargetType(name: text).map { .success($0) } ?? .failure(BatchRequestProblem())
    }

    /// Valid for check 1: a known action, a known (or no) target type, a target.
    public var isValid: Bool {
        guard action != nil, !target.isEmpty, case .success = targetType else { return false }
        return true
    }
}

public struct BatchRequestProblem: Error, Equatable {}

/// What was read of a batch file.
public struct BatchFileInfo: Sendable, Equatable, Codable {
    /// The name as given on the command line (`<stdin>` for `-`).
    public var name: String
    public var sha256: String
    public var requests: Int

    public init(name: String, sha256: String, requests: Int) {
        self.name = name
        self.sha256 = sha256
        self.requests = requests
    }
}

/// Reads a batch file (CSV or JSONL) request by request: `request_id` (optional),
/// `action`, `target`, `target_type`, `reason`, `requested_by`, `ticket`. A structural
/// problem (bad CSV, a line that is not a JSON object, a missing `action` or `target`
/// column) refuses the file; a bad value only makes its request invalid.
public enum BatchFile {
    static let fieldNames = ["request_id", "action", "target", "target_type", "reason", "requested_by", "ticket"]
    static let columns: [String: Int] = {
        var table: [String: Int] = [:]
        for (index, name) in fieldNames.enumerated() { table[looseKey(name)] = index }
        table[looseKey("id")] = 0
        table[looseKey("justification")] = 4
        return table
    }()

    public static func read(path: String, each: (BatchRequest) throws -> Void) throws -> BatchFileInfo {
        let source: ByteSource
        do {
            source = try ByteSource(path: path)
        } catch ImportError.fileNotFound(let path) {
            throw BatchError.fileNotFound(path)
        } catch ImportError.unreadable(let path, let reason) {
            throw BatchError.unreadable(path, reason)
        }
        let head = try source.peek(4096)
        let isJSONL = head.drop(while: { $0 == 0xEF || $0 == 0xBB || $0 == 0xBF || $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 })
            .first == UInt8(ascii: "{")
        var count = 0
        let counting: (BatchRequest) throws -> Void = { request in
            count += 1
            try each(request)
        }
        if isJSONL { try readJSONL(source, counting) } else { try readCSV(source, counting) }
        return BatchFileInfo(name: source.displayName, sha256: source.finishDigest(), requests: count)
    }

    private static func request(line: Int, _ values: [String?]) -> BatchRequest {
        func value(_ index: Int) -> String? {
            guard let text = values[index].map(trimmingWhitespace), !text.isEmpty else { return nil }
            return text
        }
        return BatchRequest(line: line, requestID: value(0), actionText: value(1) ?? "", target: value(2) ?? "",
                            targetTypeText: value(3), justification: value(4), requestedBy: value(5), ticket: value(6))
    }

    private static func readCSV(_ source: ByteSource, _ each: (BatchRequest) throws -> Void) throws {
        let reader = CSVReader(source: source)
        let file = source.displayName
        func malformed(_ error: CSVError) -> BatchError {
            .malformed(SourceLocation(file: file, line: error.line, column: error.column), error.message)
        }
        do {
            guard try reader.nextRecord() else {
                throw BatchError.malformed(SourceLocation(file: file, line: 1, column: 1),
                                           "empty file: expected a header line with action and target columns")
            }
        } catch let error as CSVError { throw malformed(error) }
        var columnOfField = [Int?](repeating: nil, count: fieldNames.count)
        for column in 0..<reader.fieldCount {
            if let field = columns[looseKey(reader.string(column))], columnOfField[field] == nil { columnOfField[field] = column }
        }
        let missing = [1, 2].filter { columnOfField[$0] == nil }.map { fieldNames[$0] }
        guard missing.isEmpty else {
            throw BatchError.malformed(SourceLocation(file: file, line: reader.recordLine, column: 1),
                                       "missing required column \(missing.joined(separator: ", ")) (the header needs action and target)")
        }
        let width = reader.fieldCount
        while true {
            do {
                guard try reader.nextRecord() else { return }
            } catch let error as CSVError { throw malformed(error) }
            guard reader.fieldCount == width else {
                throw BatchError.malformed(
                    SourceLocation(file: file, line: reader.recordLine, column: min(reader.fieldCount, width) + 1),
                    "expected \(width) fields as in the header, found \(reader.fieldCount)")
            }
            try each(request(line: reader.recordLine, columnOfField.map { $0.map { reader.string($0) } }))
        }
    }

    private static func readJSONL(_ source: ByteSource, _ each: (BatchRequest) throws -> Void) throws {
        var bytes = try source.readAll()[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        var line = 0
        for rawLine in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            line += 1
            let text = rawLine.last == 0x0D ? rawLine.dropLast() : rawLine
            if text.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let location = SourceLocation(file: source.displayName, line: line, column: 1)
            let object: [String: JSONValue]
            do {
                object = try JSONDecoder().decode([String: JSONValue].self, from: Data(text))
            } catch {
                throw BatchError.malformed(location, "expected a JSON object with action and target")
            }
            var values = [String?](repeating: nil, count: fieldNames.count)
            for (key, value) in object {
                guard let field = columns[looseKey(key)] else { continue }
                values[field] = value.scalarText
            }
            guard object.keys.contains(where: { columns[looseKey($0)] == 1 }),
                  object.keys.contains(where: { columns[looseKey($0)] == 2 }) else {
                throw BatchError.malformed(location, "a request needs \"action\" and \"target\"")
            }
            try each(request(line: line, values))
        }
    }
}
