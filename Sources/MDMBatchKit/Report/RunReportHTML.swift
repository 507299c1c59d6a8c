import Foundation

/// The run report as one self-contained HTML page: inline CSS and SVG, no script, no
/// external fetch; every value escaped. Same model as the text and JSON reports.
public enum RunReportHTML {
    public static func write(run: RunRecord, summary s: RunSummary, store: StoreReader, rows: ReportRows = .standard,
                             to write: (String) throws -> Void) throws {
        let activity = try RunActivity.of(run.id, store)
        func e(_ text: String?) -> String { HTMLText.escape(text ?? "") }
        try write("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>mdmbatch run \(e(run.id))</title>
            <style>
            body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1b1b;margin:2rem auto;max-width:1100px;padding:0 1rem}
            h1{font-size:1.5rem;margin:0 0 .2rem}h2{font-size:1.15rem;margin:2rem 0 .6rem;border-bottom:1px solid #ccc;padding-bottom:.2rem}
            .meta{color:#555;margin:0 0 1rem}.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(130px,1fr));gap:.6rem}
            .tile{border:1px solid #ccc;border-radius:6px;padding:.5rem .7rem}.tile .n{font-size:1.5rem;font-weight:600;display:block}
            .tile .k{color:#555;font-size:.8rem;text-transform:uppercase;letter-spacing:.03em}
            .bad .n{color:#b00020}.good .n{color:#00704a}
            table{border-collapse:collapse;width:100%;font-size:.85rem}th,td{text-align:left;padding:.25rem .4rem;border-bottom:1px solid #e3e3e3;vertical-align:top}
            th{background:#f3f3f3}tbody.group>tr:first-child>th{background:#e8eef6}tr.more td{color:#555;font-style:italic}code{font-size:.8rem}svg{max-width:100%;height:auto}details{margin:.4rem 0 1rem}
            @media print{body{margin:0;max-width:none}h2{break-after:avoid}svg,table,.tiles{break-inside:avoid}details{display:none}}
            </style></head><body>
            <h1>Run <span id="run-id">\(e(run.id))</span></h1>
            <p class="meta">Batch <b>\(e(run.batchName))</b> (sha256 \(e(String(run.batchSHA256.prefix(16))))…) · started \(e(run.startedAt)) by \(e(run.actor)) · rules \(e(run.ruleSet)) · state <b id="run-state">\(e(run.state.rawValue))</b>\(run.finishedAt.map { " · finished \(e($0))" } ?? "")</p>

            """)
        let tiles: [(String, String, String, String)] = [
            ("requested", "Requested", String(s.requests), ""), ("targets", "Targets", String(s.targets), ""),
            ("accepted", "Accepted", String(s.accepted), ""), ("succeeded", "Succeeded", String(s.count(.succeeded)), "good"),
            ("failed", "Failed", String(s.count(.failed)), s.count(.failed) > 0 ? "bad" : ""),
            ("rejected", "Rejected", String(s.rejected), s.rejected > 0 ? "bad" : ""),
            ("unknown_outcome", "Unknown outcome", String(s.count(.unknownOutcome)), s.count(.unknownOutcome) > 0 ? "bad" : ""),
            ("skipped", "Skipped (done or unknown earlier)", String(s.count(.skipped)), ""),
            ("device_done", "Done on the device", s.byDeviceState[.done].map(String.init) ?? "–", ""),
            ("elapsed", "Elapsed", s.elapsedSeconds.map { String(format: "%.2f s", $0) } ?? "–", ""),
            ("throughput", "Throughput", s.throughputPerSecond.map { String(format: "%.1f /s", $0) } ?? "–", ""),
        ]
        try write("<h2>Summary</h2><div class=\"tiles\">")
        for (id, label, value, style) in tiles {
            try write("<div class=\"tile \(style)\" id=\"tile-\(id)\"><span class=\"n\">\(e(value))</span><span class=\"k\">\(e(label))</span></div>")
        }
        try write("</div>\n")
        if let accepted = s.acceptedNotConfirmed {
            try write("<p id=\"accepted-not-confirmed\">Accepted by the service, not confirmed on the devices: <b>\(accepted)</b>. "
                      + "Ask what the devices did with <code>mdmbatch confirm \(e(run.id))</code>.</p>\n")
        }

        let states: [DispatchState] = [.succeeded, .failed, .unknownOutcome, .rejected, .skipped, .queued, .retryWait, .settleWait,
                                       .sending]
            .filter { state in s.byPlatform.values.contains { ($0[state] ?? 0) > 0 } }
        let stateNames = states.map(\.rawValue)
        let platforms = s.platformsByName
        let platformBars = platforms.map { platform in
            SVGChart.Bar(label: platform.name, segments: states.map { SVGChart.Segment(label: $0.rawValue, value: Double(platform.states[$0] ?? 0)) })
        }
        try write("<h2>Outcomes by platform</h2>")
        try write(SVGChart.bars(platformBars, keys: stateNames, title: "Outcomes by platform",
                                description: "Stacked bars: for each platform, the number of (request, device) pairs in each state."))
        try write(dataTable(header: ["platform"] + stateNames, rows: platforms.map { p in [p.name] + states.map { String(p.states[$0] ?? 0) } }))

        let reasons = s.byReason.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { (key: $0.key.rawValue, value: $0.value, rule: $0.key.rule) }
        try write("<h2>Rejection reasons</h2>")
        if reasons.isEmpty {
            try write("<p>No request was rejected.</p>")
        } else {
            let rejected = DispatchState.rejected.rawValue
            let bars = reasons.map { reason in
                SVGChart.Bar(label: reason.key, note: reason.rule,
                             segments: [SVGChart.Segment(label: rejected, value: Double(reason.value))])
            }
            try write(SVGChart.bars(bars, keys: [rejected], title: "Rejection reasons",
                                    description: "Bars: how many (request, device) pairs each reason code rejected or skipped."))
            try write(dataTable(header: ["reason", "count", "rule"],
                                rows: reasons.map { [$0.key, String($0.value), $0.rule] }, open: true))
        }

        try write("<h2>On the devices</h2>")
        let deviceStates = ([.done, .active, .pending, .failed, .notSupported, .canceled, nil] as [DeviceActionState?])
            .filter { (s.byDeviceState[$0] ?? 0) > 0 }
        if !deviceStates.contains(where: { $0 != nil }) {
            try write("<p>The service accepted \(s.count(.succeeded)) action(s); whether the devices carried them out is not "
                      + "confirmed yet: <code>mdmbatch confirm \(e(run.id))</code>.</p>")
        } else {
            let bars = deviceStates.map { state in
                SVGChart.Bar(label: RunSummary.label(of: state),
                             segments: [SVGChart.Segment(label: "elements", value: Double(s.byDeviceState[state] ?? 0))])
            }
            try write(SVGChart.bars(bars, keys: ["elements"], title: "Device states",
                                    description: "Bars: how many sent elements each device state holds, as the service last reported it."))
            try write(dataTable(header: ["device state", "elements"],
                                rows: deviceStates.map { [RunSummary.name(of: $0), String(s.byDeviceState[$0] ?? 0)] }))
        }

        try write("<h2>Dispatch timeline</h2>")
        if activity.bucketStarts.isEmpty {
            try write("<p>Nothing was sent.</p>")
        } else {
            try write(SVGChart.timeline(
                x: activity.bucketStarts.map { $0 + activity.bucketSeconds }, bars: activity.completions,
                barLabel: String(format: "completions per %.2f s", activity.bucketSeconds),
                line: activity.inFlight, lineLabel: "calls in flight", unit: "seconds",
                title: "Dispatch timeline", description: "Bars: outcomes per time bucket; line: the average number of calls in flight."))
            try write(dataTable(header: ["from (s)", "completions", "in flight"], rows: activity.bucketStarts.indices.map {
                [String(format: "%.2f", activity.bucketStarts[$0]), SVGChart.number(activity.completions[$0]),
                 String(format: "%.1f", activity.inFlight[$0])]
            }))
            try write("<h2>Latency</h2><p>p50 \(s.latencyP50Ms.map { String(format: "%.1f", $0) } ?? "–") ms · p95 "
                      + "\(s.latencyP95Ms.map { String(format: "%.1f", $0) } ?? "–") ms · max \(s.latencyMaxMs.map { String(format: "%.1f", $0) } ?? "–") ms</p>")
            if !activity.latencyBins.isEmpty {
                try write(SVGChart.histogram(activity.latencyBins, edges: activity.latencyEdges, unit: "milliseconds",
                                             title: "Latency histogram",
                                             description: "Succeeded dispatches by latency from first send to outcome, in 20 equal bins."))
            }
        }

        try write("<h2>Not succeeded</h2>\n")
        try notSucceeded(run: run, summary: s, store: store, rows: rows, to: write)
        try write(NotDoneOnDevice.html(try NotDoneOnDevice.groups(of: run, s, store, limit: rows.limit), run: run))
        try write("<p class=\"meta\">Written by mdmbatch. Temporary passcodes are never part of a report.</p></body></html>\n")
    }

    static let columns = ["line", "request", "action", "target", "device", "platform", "state", "reason", "last error",
                          "requested by", "ticket", "why requested"]

    static func row(_ element: ReportElement) -> String {
        let cells = element.htmlCells + [element.state.rawValue, element.reason?.rawValue ?? "", element.lastError ?? "",
                                         element.requestedBy ?? "", element.ticket ?? "", element.justification ?? ""]
        return "<tr>" + cells.map { "<td>\(HTMLText.escape($0))</td>" }.joined() + "</tr>\n"
    }

    /// The table of what did not succeed: with `.all` every row in plan order; else one row
    /// group per (state, reason) with its count, its first rows, and what lists the rest.
    static func notSucceeded(run: RunRecord, summary: RunSummary, store: StoreReader, rows: ReportRows,
                             to write: (String) throws -> Void) throws {
        func e(_ text: String) -> String { HTMLText.escape(text) }
        let head = "<thead><tr>" + columns.map { "<th>\($0)</th>" }.joined() + "</tr></thead>"
        let none = "<tbody><tr><td colspan=\"\(columns.count)\">Every request succeeded.</td></tr></tbody>"
        guard case .first(let limit) = rows else {
            try write("<table id=\"not-succeeded\">\(head)<tbody>\n")
            var shown = 0
            try store.forEachElement(of: run.id) { element in
                guard element.state != .succeeded else { return }
                shown += 1
                try write(row(element))
            }
            try write("</tbody>" + (shown == 0 ? none : "") + "</table>\n")
            return
        }
        let groups = try NotSucceeded.groups(of: run, summary, store, limit: limit)
        if groups.contains(where: { $0.rest > 0 }) {
            try write("<p id=\"not-succeeded-note\">\(NotSucceeded.total(summary)) (request, device) pairs did not succeed. "
                      + "Of each state and reason the first \(limit) are listed, in plan order. Every element, with all its fields: "
                      + "<code>\(e(NotSucceeded.allAsJSON(run)))</code>; every one that did not succeed, as text: "
                      + "<code>\(e(NotSucceeded.allAsText(run)))</code>.</p>\n")
        }
        try write("<table id=\"not-succeeded\">\(head)\n")
        for group in groups {
            try write("<tbody class=\"group\" id=\"group-\(e(group.key.slug))\"><tr><th colspan=\"\(columns.count)\" scope=\"rowgroup\">"
                      + "\(e(group.key.name)): <span class=\"count\">\(group.count)</span></th></tr>\n")
            for element in group.rows { try write(row(element)) }
            if group.rest > 0 {
                try write("<tr class=\"more\"><td colspan=\"\(columns.count)\">… <span class=\"rest\">\(group.rest)</span> more not shown; "
                          + "all of them: <code>\(e(NotSucceeded.allAsJSON(run)))</code> (or <code>\(e(NotSucceeded.allAsText(run)))</code> as text)</td></tr>\n")
            }
            try write("</tbody>\n")
        }
        try write((groups.isEmpty ? none : "") + "</table>\n")
    }

    /// The numbers behind a chart, as a table (its text alternative).
    static func dataTable(header: [String], rows: [[String]], open: Bool = false) -> String {
        "<details\(open ? " open" : "")><summary>The numbers</summary><table><thead><tr>"
            + header.map { "<th>\(HTMLText.escape($0))</th>" }.joined() + "</tr></thead><tbody>"
            + rows.map { "<tr>" + $0.map { "<td>\(HTMLText.escape($0))</td>" }.joined() + "</tr>" }.joined()
            + "</tbody></table></details>"
    }
}
