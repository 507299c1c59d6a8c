/// The verdict of the rules for one (request, device): one element of a plan.
public struct PlanItem: Sendable, Equatable {
    public var line: Int
    public var requestID: String?
    /// The action's canonical name when valid, else the text as written.
    public var action: String
    public var target: String
    public var deviceID: String?
    /// The device's normalised platform (`unlisted`, `version_needed` included).
    public var platform: String?
    public var verdict: Verdict
    public var requestedBy: String?
    public var justification: String?
    public var ticket: String?

    /// `accepted` or `rejected`.
    public var verdictName: String { verdict.accepted ? "accepted" : "rejected" }
}

/// Counts over a plan.
public struct PlanSummary: Sendable, Equatable {
    public var requests = 0
    /// Elements: (request, device) pairs, plus one per request that resolved to no device.
    public var targets = 0
    public var accepted = 0
    public var rejected = 0
    public var byReason: [ReasonCode: Int] = [:]
    public var temporaryPasscodes = 0

    public init() {}

    mutating func add(_ item: PlanItem, newRequest: Bool) {
        if newRequest { requests += 1 }
        targets += 1
        if let reason = item.verdict.reason {
            rejected += 1
            byReason[reason, default: 0] += 1
        } else {
            accepted += 1
            if item.verdict.temporaryPasscode { temporaryPasscodes += 1 }
        }
    }
}

/// A finished plan: which batch, and its counts (the elements were streamed).
public struct Plan: Sendable, Equatable {
    public var batch: BatchFileInfo
    public var summary: PlanSummary
}

/// JSON shapes of DESIGN.md ("Plan / report JSON"), written by hand so that a plan of
/// a million elements streams without building a tree.
public enum PlanJSON {
    public static func element(_ item: PlanItem) -> String {
        var out = "{\"line\": \(item.line), \"request_id\": \(JSONText.quote(item.requestID)), "
        out += "\"action\": \(JSONText.quote(item.action)), \"target\": \(JSONText.quote(item.target)), "
        out += "\"device_id\": \(JSONText.quote(item.deviceID)), \"platform\": \(JSONText.quote(item.platform)), "
        out += "\"verdict\": \"\(item.verdictName)\", \"reason\": \(JSONText.quote(item.verdict.reason?.rawValue)), "
        out += "\"warnings\": [\(item.verdict.warnings.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))], "
        out += "\"temporary_passcode\": \(item.verdict.temporaryPasscode), \"detail\": \(JSONText.quote(item.verdict.detail))}"
        return out
    }

    public static func summary(_ summary: PlanSummary) -> String {
        let reasons = summary.byReason.sorted { $0.key < $1.key }.map { "\"\($0.key.rawValue)\": \($0.value)" }
        return "{\"requests\": \(summary.requests), \"targets\": \(summary.targets), \"accepted\": \(summary.accepted), "
            + "\"rejected\": \(summary.rejected), \"by_reason\": {\(reasons.joined(separator: ", "))}}"
    }

    public static func header(_ batch: BatchFileInfo) -> String {
        "{\"batch\": \(JSONText.quote(batch.name)), \"batch_sha256\": \(JSONText.quote(batch.sha256)), \"requests\": ["
    }
}

/// JSON string literals.
public enum JSONText {
    public static func quote(_ text: String?) -> String {
        guard let text else { return "null" }
        // Most values need no escape: copy them whole. (0xE2 may start U+2028 or U+2029.)
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0xE2 }) { return "\"" + text + "\"" }
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
