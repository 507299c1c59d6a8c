/// Text for a terminal or a log line: control characters (ESC and the other C0 codes but
/// tab, DEL, and the C1 codes) are shown escaped as `\x1b`, so that an id or a target
/// read from a file cannot move the cursor, recolour the screen or forge a log line.
public enum TerminalText {
    public static func escaped(_ text: String) -> String { escaped(text, keepingLineBreaks: false) }

    /// - Parameter keepingLineBreaks: CR and LF are kept as they are (a CSV cell, quoted).
    public static func escaped(_ text: String, keepingLineBreaks: Bool) -> String {
        func escapes(_ scalar: Unicode.Scalar) -> Bool {
            isControl(scalar) && !(keepingLineBreaks && (scalar == "\r" || scalar == "\n"))
        }
        guard text.unicodeScalars.contains(where: escapes) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if escapes(scalar) {
                let hex = String(scalar.value, radix: 16)
                out += "\\x" + (hex.count < 2 ? "0" : "") + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && scalar != "\t") || (0x7F...0x9F).contains(scalar.value)
    }

    /// `text` escaped, cut to `width` characters (the last one `…`) or padded to it.
    public static func cell(_ text: String?, _ width: Int) -> String {
        let value = escaped(text ?? "-")
        if value.count > width { return String(value.prefix(width - 1)) + "…" }
        return value + String(repeating: " ", count: width - value.count)
    }

    /// `text` right-aligned in `width` characters.
    public static func leftPadded(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
