import Foundation

/// The counts of a run: the one model behind the text, JSON and HTML reports.
public struct RunSummary: Sendable, Equatable {
    public var requests = 0
    public var targets = 0
    public var accepted = 0
    public var rejected = 0
    public var byState: [DispatchState: Int] = [:]
    /// Platform (nil: the target resolved to no device) → state → count.
    public var byPlatform: [PlatformResolution?: [DispatchState: Int]] = [:]
    /// Rejections and skips, by reason.
    public var byReason: [ReasonCode: Int] = [:]
    /// Sent elements (the service accepted them) by what their device did: `done`,
    /// `pending`, …, or nil when nobody asked yet.
    public var byDeviceState: [DeviceActionState?: Int] = [:]
    /// Every element by (state, reason): what the text and HTML reports list the first rows of.
    public var byGroup: [ElementGroup: Int] = [:]
    public var attempts = 0
    /// From the first send to the last outcome.
    public var elapsedSeconds: Double?
    /// Dispatches that reached an outcome, per second of `elapsedSeconds`.
    public var throughputPerSecond: Double?
    public var latencyP50Ms: Double?
    public var latencyP95Ms: Double?
    public var latencyMaxMs: Double?

    public init() {}

    public func count(_ state: DispatchState) -> Int { byState[state] ?? 0 }

    /// Every request succeeded (or had already been done).
    public var allSucceeded: Bool {
        count(.rejected) + count(.failed) + count(.unknownOutcome) == 0 && open == 0
    }

    /// Succeeded elements nobody has confirmed on their device yet (nil when none): the
    /// service accepted them, which is not the device doing them.
    public var acceptedNotConfirmed: Int? {
        guard let count = byDeviceState[nil], count > 0 else { return nil }
        return count
    }

    /// Somebody asked the service what the devices did (`confirm`, `run --confirm`).
    public var confirmed: Bool { byDeviceState.keys.contains { $0 != nil } }

    /// Rows still waiting for an outcome.
    public var open: Int { DispatchState.open.reduce(0) { $0 + count($1) } }

    /// `byPlatform` as the reports list it: by name, `(no device)` first.
    public var platformsByName: [(name: String, states: [DispatchState: Int])] {
        byPlatform.map { (name: Self.name(of: $0.key), states: $0.value) }.sorted { $0.name < $1.name }
    }

    /// `android`, `unlisted`; `(no device)` for elements whose target resolved to no device.
    public static func name(of platform: PlatformResolution?) -> String { platform?.storedValue ?? "(no device)" }

    /// `done`, `notSupported`; `not_confirmed` for sent elements nobody asked about yet.
    public static func name(of deviceState: DeviceActionState?) -> String { deviceState?.rawValue ?? "not_confirmed" }

    /// The same for people: `not confirmed`.
    public static func label(of deviceState: DeviceActionState?) -> String { deviceState?.rawValue ?? "not confirmed" }
}

/// What the service answered to an element's last failed attempt: its HTTP status and error
/// code, the ids a support case needs (Operation ID, `request-id`), and our attempt's
/// `client-request-id`. A real Intune 400 often gives only the ids, no reason.
public struct ServiceAnswerDetail: Sendable, Equatable {
    public var status: Int?
    public var code: String?
    public var reference = ServiceReference()

    public init(status: Int? = nil, code: String? = nil, reference: ServiceReference = ServiceReference()) {
        self.status = status
        self.code = code
        self.reference = reference
    }

    /// As JSON members of the report element.
    var jsonMembers: String {
        "\"http_status\": \(status.map(String.init) ?? "null"), \"service_code\": \(JSONText.quote(code)), "
            + "\"operation_id\": \(JSONText.quote(reference.operationID)), "
            + "\"service_request_id\": \(JSONText.quote(reference.requestID)), "
            + "\"client_request_id\": \(JSONText.quote(reference.clientRequestID))"
    }
}

/// One (request, device) of a run report: what the plan said of it and what became of it,
/// as read back from its row.
public struct ReportElement: PlannedElement, Sendable, Equatable {
    public var line: Int
    public var requestID: String?
    public var actionName: String
    public var target: String
    public var deviceID: String?
    public var platform: PlatformResolution?
    public var requestedBy: String?
    public var ticket: String?
    /// Why the request was made, as the batch says (its `reason` column).
    public var justification: String?
    public var planVerdict: PlanVerdict
    public var warnings: [Warning]
    /// The secret it makes when sent; nil unless accepted.
    public var secret: SecretKind?
    public var detail: String?
    public var state: DispatchState
    /// Why it was rejected or skipped.
    public var reason: ReasonCode?
    public var attempts: Int
    public var lastError: String?
    public var channel: String?
    public var queuedAt: String?
    public var firstSentAt: String?
    public var finishedAt: String?
    public var latencyMs: Double?
    /// What the service last said the device did with the action, and when it was asked.
    public var deviceState: DeviceActionState?
    public var deviceStateAt: String?
    /// Its secret went into a secrets file (never the secret itself).
    public var secretDelivered: Bool
    /// What the service said of its last failed attempt, and the ids of that attempt.
    public var service: ServiceAnswerDetail

    /// What a reader wants to know of an element that did not succeed: its reason code, else its last error.
    public var why: String { reason?.rawValue ?? lastError ?? "" }
}

/// The run report as JSON (DESIGN.md: the plan element shape plus state, attempts,
/// last_error and timestamps; a summary by state, platform and reason, and figures).
public enum RunReportJSON {
    public static func header(_ run: RunRecord) -> String {
        "{\"run_id\": \(JSONText.quote(run.id)), \"state\": \(JSONText.quote(run.state.rawValue)), \"batch\": \(JSONText.quote(run.batchName)), "
            + "\"batch_sha256\": \(JSONText.quote(run.batchSHA256)), \"rule_set\": \(JSONText.quote(run.ruleSet)), "
            + "\"actor\": \(JSONText.quote(run.actor)), "
            + "\"started_at\": \(JSONText.quote(run.startedAt)), \"finished_at\": \(JSONText.quote(run.finishedAt)), "
            + "\"options\": \(run.optionsText), \"requests\": ["
    }

    public static func element(_ element: ReportElement) -> String {
        "{" + PlanJSON.members(element)
            + ", \"requested_by\": \(JSONText.quote(element.requestedBy)), \"ticket\": \(JSONText.quote(element.ticket)), "
            + "\"request_reason\": \(JSONText.quote(element.justification))"
            + ", \"state\": \"\(element.state.rawValue)\", \"attempts\": \(element.attempts), "
            + "\"last_error\": \(JSONText.quote(element.lastError)), \"channel\": \(JSONText.quote(element.channel)), "
            + "\"queued_at\": \(JSONText.quote(element.queuedAt)), \"first_sent_at\": \(JSONText.quote(element.firstSentAt)), "
            + "\"finished_at\": \(JSONText.quote(element.finishedAt)), \"latency_ms\": \(number(element.latencyMs)), "
            + "\"device_state\": \(JSONText.quote(element.deviceState?.rawValue)), \"device_state_at\": \(JSONText.quote(element.deviceStateAt)), "
            + "\"secret_delivered\": \(element.secretDelivered), \(element.service.jsonMembers)}"
    }

    public static func summary(_ s: RunSummary) -> String {
        func counts<Key>(_ table: [Key: Int], _ name: (Key) -> String) -> String {
            "{" + table.map { (name($0.key), $0.value) }.sorted { $0.0 < $1.0 }
                .map { "\(JSONText.quote($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
        }
        let platforms = s.platformsByName.map { "\(JSONText.quote($0.name)): \(counts($0.states, \.rawValue))" }
        return "{\"requests\": \(s.requests), \"targets\": \(s.targets), \"accepted\": \(s.accepted), \"rejected\": \(s.rejected), "
            + "\"by_state\": \(counts(s.byState, \.rawValue)), \"by_platform\": {\(platforms.joined(separator: ", "))}, "
            + "\"by_reason\": \(counts(s.byReason, \.rawValue)), \"by_device_state\": \(counts(s.byDeviceState, RunSummary.name(of:))), "
            + "\"attempts\": \(s.attempts), "
            + "\"elapsed_s\": \(number(s.elapsedSeconds)), \"throughput_per_s\": \(number(s.throughputPerSecond)), "
            + "\"latency_ms\": {\"p50\": \(number(s.latencyP50Ms)), \"p95\": \(number(s.latencyP95Ms)), \"max\": \(number(s.latencyMaxMs))}}"
    }

    static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "null" }
        return String((value * 1000).rounded() / 1000)
    }

    /// The whole report, written piece by piece to `write`.
    public static func write(run: RunRecord, summary: RunSummary, store: StoreReader, to write: (String) throws -> Void) throws {
        try write(header(run))
        var first = true
        try store.forEachElement(of: run.id) { element in
            try write((first ? "\n  " : ",\n  ") + self.element(element))
            first = false
        }
        try write("\n ],\n \"summary\": " + self.summary(summary) + "}\n")
    }
}

/// The run report for people.
public enum RunReportText {
    public static func summary(_ run: RunRecord, _ s: RunSummary) -> String {
        func list<Key>(_ table: [Key: Int], _ name: (Key) -> String) -> String {
            table.map { (name($0.key), $0.value) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
                .map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        }
        var lines = ["run \(run.id) (\(run.state.rawValue)) — batch \(TerminalText.escaped(run.batchName)), rules \(run.ruleSet)",
                     "  \(s.requests) requests, \(s.targets) targets: \(s.accepted) accepted, \(s.rejected) rejected"]
        let order: [DispatchState] = [.succeeded, .failed, .unknownOutcome, .skipped, .rejected, .queued, .retryWait, .settleWait,
                                      .sending]
        lines.append("  " + order.filter { s.count($0) > 0 || [.succeeded, .failed, .unknownOutcome].contains($0) }
            .map { "\($0.rawValue) \(s.count($0))" }.joined(separator: " · "))
        if !s.byPlatform.isEmpty {
            lines.append("  by platform: " + s.platformsByName.map { "\($0.name) (\(list($0.states, \.rawValue)))" }.joined(separator: "; "))
        }
        if !s.byReason.isEmpty { lines.append("  by reason: " + list(s.byReason, \.rawValue)) }
        // accepted is not done: a 204 says the service took it, not that the device did it
        if let accepted = s.acceptedNotConfirmed {
            lines.append("  accepted by the service, not confirmed on the devices: \(accepted) — "
                         + "ask what they did with `mdmbatch confirm \(run.id)`")
        }
        // what the devices did, once somebody asked (`confirm`, `run --confirm`)
        if s.confirmed {
            lines.append("  on the devices: " + list(s.byDeviceState, RunSummary.label(of:)))
        }
        var figures: [String] = []
        if let elapsed = s.elapsedSeconds { figures.append(String(format: "elapsed %.2f s", elapsed)) }
        if let rate = s.throughputPerSecond { figures.append(String(format: "%.1f dispatches/s", rate)) }
        if let p50 = s.latencyP50Ms, let p95 = s.latencyP95Ms { figures.append(String(format: "latency p50 %.1f ms, p95 %.1f ms", p50, p95)) }
        figures.append("\(s.attempts) attempts")
        lines.append("  " + figures.joined(separator: " · "))
        return lines.joined(separator: "\n")
    }

    /// The column names of the rows below.
    public static let header = "LINE   REQUEST      ACTION          TARGET                     DEVICE         PLATFORM          STATE            REASON / LAST ERROR"

    /// One (request, device) that did not succeed.
    public static func row(_ element: ReportElement) -> String {
        element.textColumns + " " + TerminalText.cell(element.state.rawValue, 16) + " " + TerminalText.escaped(element.why)
            + request(element)
    }

    /// Who asked for the request, under which ticket and why, as far as the batch says: ` [ticket T; by U; why: R]`.
    static func request(_ element: ReportElement) -> String {
        let parts = [element.ticket.map { "ticket \($0)" }, element.requestedBy.map { "by \($0)" },
                     element.justification.map { "why: \($0)" }]
            .compactMap { $0.map(TerminalText.escaped) }
        return parts.isEmpty ? "" : " [" + parts.joined(separator: "; ") + "]"
    }

    /// What stands for the rows of a group not shown.
    public static func more(_ rest: Int, run: RunRecord) -> String {
        "  … \(rest) more not shown; all of them: \(NotSucceeded.allAsText(run)) (or --format json)"
    }

    /// Summary, then the (request, device) pairs that did not succeed: with `.all` every one
    /// in plan order; else of each (state, reason) the first rows, and the count of the rest.
    /// Then, of a confirmed run, the sent elements not done on their device.
    public static func write(run: RunRecord, summary: RunSummary, store: StoreReader, rows: ReportRows = .standard,
                             to write: (String) throws -> Void) throws {
        try write(self.summary(run, summary) + "\n")
        try notSucceeded(run: run, summary: summary, store: store, rows: rows, to: write)
        try write(NotDoneOnDevice.text(try NotDoneOnDevice.groups(of: run, summary, store, limit: rows.limit), run: run))
    }

    private static func notSucceeded(run: RunRecord, summary: RunSummary, store: StoreReader, rows: ReportRows,
                                     to write: (String) throws -> Void) throws {
        guard case .first(let limit) = rows else {
            var header = false
            try store.forEachElement(of: run.id) { element in
                guard element.state != .succeeded else { return }
                if !header {
                    try write("\nNot succeeded:\n" + self.header + "\n")
                    header = true
                }
                try write(row(element) + "\n")
            }
            return
        }
        let groups = try NotSucceeded.groups(of: run, summary, store, limit: limit)
        guard !groups.isEmpty else { return }
        let cut = groups.contains { $0.rest > 0 }
        try write("\nNot succeeded:" + (cut ? " \(NotSucceeded.total(summary)); of each state and reason the first \(limit) "
                                          + "(\(NotSucceeded.allAsText(run)) lists every one)" : "") + "\n" + header + "\n")
        for group in groups {
            try write("\n\(group.key.name): \(group.count)\n")
            for element in group.rows { try write(row(element) + "\n") }
            if group.rest > 0 { try write(more(group.rest, run: run) + "\n") }
        }
    }
}
