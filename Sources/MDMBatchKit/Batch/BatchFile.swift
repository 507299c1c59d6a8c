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
    /// Where the request_id is on the line (its CSV field number; 1 in JSONL), for a message.
    public var requestIDColumn: Int = 1

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
/// column, a NUL byte, a field over the size limit) refuses the file; a bad value only
/// makes its request invalid. The header matching, field checks and JSONL lines are the
/// inventories' (`CSVTable`, `JSONLines`, `JSONFields`).
public enum BatchFile {
    static let fieldNames = ["request_id", "action", "target", "target_type", "reason", "requested_by", "ticket"]
    static let map = ColumnMap(format: nil, names: fieldNames.enumerated().map { ($0.element, $0.offset) }
                                   + [("id", 0), ("justification", 4)], required: [1, 2])

    public static func read(path: String, limits: InputLimits = .standard, each: (BatchRequest) throws -> Void) throws -> BatchFileInfo {
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
        do {
            if isJSONL { try readJSONL(source, limits, counting) } else { try readCSV(source, limits, counting) }
        } catch let problem as InputProblem {
            throw BatchError.malformed(problem.location, problem.message)
        }
        return BatchFileInfo(name: source.displayName, sha256: source.finishDigest(), requests: count)
    }

    private static func request(line: Int, requestIDColumn: Int, _ values: [String?]) -> BatchRequest {
        func value(_ index: Int) -> String? {
            guard let text = values[index].map(trimmingWhitespace), !text.isEmpty else { return nil }
            return text
        }
        return BatchRequest(line: line, requestID: value(0), actionText: value(1) ?? "", target: value(2) ?? "",
                            targetTypeText: value(3), justification: value(4), requestedBy: value(5), ticket: value(6),
                            requestIDColumn: requestIDColumn)
    }

    private static func readCSV(_ source: ByteSource, _ limits: InputLimits, _ each: (BatchRequest) throws -> Void) throws {
        let table = try CSVTable(source: source, maps: [map], fieldCount: fieldNames.count, limits: limits,
                                 emptyMessage: "empty file: expected a header line with action and target columns")
        let requestIDColumn = (table.columnOfField[0] ?? 0) + 1
        while try table.next() {
            try each(request(line: table.line, requestIDColumn: requestIDColumn,
                             (0..<fieldNames.count).map { table.field($0).map(FieldText.string) }))
        }
    }

    private static func readJSONL(_ source: ByteSource, _ limits: InputLimits, _ each: (BatchRequest) throws -> Void) throws {
        try JSONLines.forEach(source, maxLineBytes: limits.maxRecordBytes) { line, text in
            let location = SourceLocation(file: source.displayName, line: line, column: 1)
            let values: [String?]
            switch JSONFields.object(text) {
            case .failure:
                throw InputProblem(location: location, message: "expected a JSON object with action and target")
            case .success(let object):
                do {
                    values = try JSONFields.values(of: object, map: map, fieldCount: fieldNames.count, limits: limits).texts
                } catch let error as RowError {
                    throw InputProblem(location: location, message: error.message)
                }
                guard object.keys.contains(where: { map.columns[looseKey($0)] == 1 }),
                      object.keys.contains(where: { map.columns[looseKey($0)] == 2 }) else {
                    throw InputProblem(location: location, message: "a request needs \"action\" and \"target\"")
                }
            }
            try each(request(line: line, requestIDColumn: 1, values))
        }
    }
}
