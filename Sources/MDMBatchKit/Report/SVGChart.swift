import Foundation

/// A small SVG renderer for the report's charts: labelled horizontal bars (plain or
/// stacked), a histogram and a two-series line chart. Colours are the Okabe–Ito palette
/// (distinguishable with colour-blindness); every bar carries its value as text, every
/// chart a `<title>` and `<desc>`, so nothing depends on colour alone.
public enum SVGChart {
    public static let palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

    public struct Segment: Sendable {
        public var label: String
        public var value: Double
        public init(label: String, value: Double) {
            self.label = label
            self.value = value
        }
    }

    public struct Bar: Sendable {
        public var label: String
        public var note: String?
        public var segments: [Segment]
        public init(label: String, note: String? = nil, segments: [Segment]) {
            self.label = label
            self.note = note
            self.segments = segments
        }
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.1f", value)
    }

    private static func open(_ width: Int, _ height: Int, title: String, description: String) -> String {
        "<svg viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\" "
            + "aria-label=\"\(HTMLText.escape(title))\"><title>\(HTMLText.escape(title))</title><desc>\(HTMLText.escape(description))</desc>"
    }

    /// Horizontal bars, one row each, segments stacked in `keys` order with a legend.
    public static func bars(_ bars: [Bar], keys: [String], title: String, description: String, width: Int = 860) -> String {
        let labelWidth = 230, row = 26, legendHeight = keys.count > 1 ? 26 : 0
        let height = legendHeight + max(1, bars.count) * row + 10
        let total = bars.map { $0.segments.reduce(0) { $0 + $1.value } }.max() ?? 0
        let scale = total > 0 ? Double(width - labelWidth - 70) / total : 0
        var svg = open(width, height, title: title, description: description)
        if keys.count > 1 {
            var x = labelWidth
            for (index, key) in keys.enumerated() {
                svg += "<rect x=\"\(x)\" y=\"6\" width=\"12\" height=\"12\" fill=\"\(palette[index % palette.count])\"/>"
                svg += "<text x=\"\(x + 16)\" y=\"17\" font-size=\"12\">\(HTMLText.escape(key))</text>"
                x += 24 + key.count * 7 + 16
            }
        }
        for (index, bar) in bars.enumerated() {
            let y = legendHeight + index * row
            svg += "<text x=\"\(labelWidth - 8)\" y=\"\(y + 17)\" font-size=\"12\" text-anchor=\"end\">\(HTMLText.escape(bar.label))"
            if let note = bar.note { svg += "<title>\(HTMLText.escape(note))</title>" }
            svg += "</text>"
            var x = Double(labelWidth)
            for segment in bar.segments where segment.value > 0 {
                let colour = palette[(keys.firstIndex(of: segment.label) ?? 0) % palette.count]
                let w = segment.value * scale
                svg += "<rect x=\"\(String(format: "%.1f", x))\" y=\"\(y + 4)\" width=\"\(String(format: "%.1f", max(w, 1)))\" height=\"18\" "
                    + "fill=\"\(colour)\"><title>\(HTMLText.escape(bar.label)): \(HTMLText.escape(segment.label)) \(number(segment.value))</title></rect>"
                x += w
            }
            let sum = bar.segments.reduce(0) { $0 + $1.value }
            svg += "<text x=\"\(String(format: "%.1f", x + 6))\" y=\"\(y + 17)\" font-size=\"12\">\(number(sum))</text>"
        }
        return svg + "</svg>"
    }

    /// Vertical bars over equal bins: `bins[i]` counts values in [edges[i], edges[i+1]).
    public static func histogram(_ bins: [Int], edges: [Double], unit: String, title: String, description: String,
                                 width: Int = 860, height: Int = 220) -> String {
        let left = 50, bottom = 36, top = 12
        let peak = Double(bins.max() ?? 0)
        let barWidth = bins.isEmpty ? 0 : Double(width - left - 10) / Double(bins.count)
        var svg = open(width, height, title: title, description: description)
        svg += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - 10)\" y2=\"\(height - bottom)\" stroke=\"#444\"/>"
        for (index, count) in bins.enumerated() {
            let h = peak > 0 ? Double(count) / peak * Double(height - top - bottom) : 0
            let x = Double(left) + Double(index) * barWidth
            svg += "<rect x=\"\(String(format: "%.1f", x + 1))\" y=\"\(String(format: "%.1f", Double(height - bottom) - h))\" "
                + "width=\"\(String(format: "%.1f", max(barWidth - 2, 1)))\" height=\"\(String(format: "%.1f", h))\" fill=\"\(palette[0])\">"
                + "<title>\(number(edges[index]))–\(number(edges[index + 1])) \(HTMLText.escape(unit)): \(count)</title></rect>"
        }
        let ticks = min(bins.count, 6)
        for tick in 0...ticks where ticks > 0 {
            let index = tick * bins.count / ticks
            let x = Double(left) + Double(index) * barWidth
            svg += "<text x=\"\(String(format: "%.1f", x))\" y=\"\(height - bottom + 16)\" font-size=\"11\" text-anchor=\"middle\">"
                + "\(number(edges[index]))</text>"
        }
        svg += "<text x=\"\(width / 2)\" y=\"\(height - 4)\" font-size=\"12\" text-anchor=\"middle\">\(HTMLText.escape(unit))</text>"
        svg += "<text x=\"\(left - 6)\" y=\"\(top + 10)\" font-size=\"11\" text-anchor=\"end\">\(Int(peak))</text>"
        return svg + "</svg>"
    }

    /// Two series over the same x: one as bars (left axis), one as a line (its own scale).
    public static func timeline(x: [Double], bars: [Double], barLabel: String, line: [Double], lineLabel: String, unit: String,
                                title: String, description: String, width: Int = 860, height: Int = 240) -> String {
        let left = 50, right = 50, bottom = 36, top = 30
        let barPeak = max(bars.max() ?? 0, 1), linePeak = max(line.max() ?? 0, 1)
        let step = x.isEmpty ? 0 : Double(width - left - right) / Double(x.count)
        var svg = open(width, height, title: title, description: description)
        svg += "<rect x=\"\(left)\" y=\"8\" width=\"12\" height=\"12\" fill=\"\(palette[2])\"/>"
            + "<text x=\"\(left + 16)\" y=\"18\" font-size=\"12\">\(HTMLText.escape(barLabel)) (left, max \(number(barPeak)))</text>"
            + "<line x1=\"\(left + 330)\" y1=\"14\" x2=\"\(left + 350)\" y2=\"14\" stroke=\"\(palette[3])\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/>"
            + "<text x=\"\(left + 356)\" y=\"18\" font-size=\"12\">\(HTMLText.escape(lineLabel)) (right, max \(number(linePeak)))</text>"
        svg += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" y2=\"\(height - bottom)\" stroke=\"#444\"/>"
        let plot = Double(height - top - bottom)
        for (index, value) in bars.enumerated() {
            let h = value / barPeak * plot
            svg += "<rect x=\"\(String(format: "%.1f", Double(left) + Double(index) * step))\" y=\"\(String(format: "%.1f", Double(height - bottom) - h))\" "
                + "width=\"\(String(format: "%.1f", max(step - 1, 0.5)))\" height=\"\(String(format: "%.1f", h))\" fill=\"\(palette[2])\">"
                + "<title>\(number(x[index])) \(HTMLText.escape(unit)): \(number(value))</title></rect>"
        }
        let points = line.enumerated().map { index, value in
            String(format: "%.1f,%.1f", Double(left) + (Double(index) + 0.5) * step, Double(height - bottom) - value / linePeak * plot)
        }
        svg += "<polyline fill=\"none\" stroke=\"\(palette[3])\" stroke-width=\"2\" stroke-dasharray=\"5 3\" points=\"\(points.joined(separator: " "))\"/>"
        if let last = x.last {
            svg += "<text x=\"\(left)\" y=\"\(height - bottom + 16)\" font-size=\"11\">0</text>"
            svg += "<text x=\"\(width - right)\" y=\"\(height - bottom + 16)\" font-size=\"11\" text-anchor=\"end\">\(number(last))</text>"
        }
        svg += "<text x=\"\(width / 2)\" y=\"\(height - 4)\" font-size=\"12\" text-anchor=\"middle\">\(HTMLText.escape(unit)) since the first send</text>"
        return svg + "</svg>"
    }
}
