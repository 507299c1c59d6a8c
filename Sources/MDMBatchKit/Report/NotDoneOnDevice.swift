/// The sent elements that are not (yet) done on their device, by device state: what the
/// text and HTML reports of a confirmed run list after what did not succeed, so that an
/// administrator sees which phones are not locked yet, not only how many.
public enum NotDoneOnDevice {
    /// The device states listed, the ones that need someone first; nil: sent, never confirmed.
    static let order: [DeviceActionState?] = [.failed, .notSupported, .canceled, .pending, .active, nil]

    /// A device state and its elements; the key is nil for sent elements never confirmed.
    public typealias Group = ListedGroup<DeviceActionState?, ReportElement>

    /// Of each device state but `done`, the count and the first `limit` elements in plan order
    /// (every one with `limit` nil); empty when the run was never confirmed: before that every
    /// sent element is "not confirmed", and listing them would say nothing the counts do not.
    public static func groups(of run: RunRecord, _ summary: RunSummary, _ store: StoreReader, limit: Int?) throws -> [Group] {
        guard summary.confirmed else { return [] }
        return try order.compactMap { state in
            var group = Group(key: state, count: summary.byDeviceState[state] ?? 0)
            guard group.count > 0 else { return nil }
            try store.forEachSentElement(of: run.id, deviceState: state) { element in
                group.rows.append(element)
                return limit.map { group.rows.count < $0 } ?? true
            }
            return group
        }
    }

    /// The text of the groups, under the report's summary.
    static func text(_ groups: [Group], run: RunRecord) -> String {
        guard !groups.isEmpty else { return "" }
        var lines = ["", "Sent, not done on the device (\(groups.reduce(0) { $0 + $1.count })):", header]
        for group in groups {
            lines += ["", "\(RunSummary.name(of: group.key)): \(group.count)"] + group.rows.map(row)
            if group.rest > 0 { lines.append("  … \(group.rest) more not shown; all of them: \(NotSucceeded.allAsJSON(run))") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static let header = "LINE   REQUEST      ACTION          TARGET                     DEVICE         PLATFORM          DEVICE STATE  SEEN AT"

    static func row(_ element: ReportElement) -> String {
        element.textColumns + " " + TerminalText.cell(RunSummary.name(of: element.deviceState), 13) + " "
            + TerminalText.escaped(element.deviceStateAt ?? "")
    }

    /// The HTML table of the groups.
    static func html(_ groups: [Group], run: RunRecord) -> String {
        guard !groups.isEmpty else { return "" }
        func e(_ text: String) -> String { HTMLText.escape(text) }
        let columns = ["line", "request", "action", "target", "device", "platform", "device state", "seen at", "secret delivered"]
        var out = "<h2>Sent, not done on the device</h2>\n<table id=\"not-done-on-device\"><thead><tr>"
            + columns.map { "<th>\($0)</th>" }.joined() + "</tr></thead>\n"
        for group in groups {
            let label = e(RunSummary.name(of: group.key))
            out += "<tbody class=\"group\" id=\"device-\(label)\"><tr><th colspan=\"\(columns.count)\" scope=\"rowgroup\">"
                + "\(label): <span class=\"count\">\(group.count)</span></th></tr>\n"
            for element in group.rows {
                let cells = element.htmlCells + [RunSummary.name(of: element.deviceState), element.deviceStateAt ?? "",
                                                 element.secretDelivered ? "yes" : ""]
                out += "<tr>" + cells.map { "<td>\(e($0))</td>" }.joined() + "</tr>\n"
            }
            if group.rest > 0 {
                out += "<tr class=\"more\"><td colspan=\"\(columns.count)\">… <span class=\"rest\">\(group.rest)</span> more not shown; "
                    + "all of them: <code>\(e(NotSucceeded.allAsJSON(run)))</code></td></tr>\n"
            }
            out += "</tbody>\n"
        }
        return out + "</table>\n"
    }
}
