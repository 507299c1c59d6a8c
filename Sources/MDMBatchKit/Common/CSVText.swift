/// CSV fields (RFC 4180): quoted when they hold a comma, a quote, CR or LF, quotes doubled.
public enum CSVText {
    /// A field as written, quoted when it needs to be.
    public static func field(_ text: String) -> String {
        // bytes, not Characters: "\r\n" is one Character, equal to neither "\r" nor "\n"
        text.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D })
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    /// A field neutralised for spreadsheets: a value beginning with `=`, `+`, `-`, `@`, tab,
    /// CR or LF gets a leading `'`, so that no spreadsheet runs it as a formula; control
    /// characters other than tab, CR and LF (ESC above all) are written escaped (`\x1b`), so
    /// that a cell shown in a terminal cannot drive it.
    public static func neutralisedCell(_ value: String) -> String {
        let value = TerminalText.escaped(value, keepingLineBreaks: true)
        if let first = value.utf8.first, [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"),
                                           0x09, 0x0D, 0x0A].contains(first) {
            return field("'" + value)
        }
        return field(value)
    }

    /// A line of fields, ending in `\n`.
    public static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\n"
    }
}
