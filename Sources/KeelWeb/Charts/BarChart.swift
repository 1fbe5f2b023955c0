import Foundation

/// Labelled values as horizontal bars around a zero line (negatives to the left), rendered on the server as
/// inline SVG: compares one figure across a model and its baselines. Safe on empty and non-finite input.
public struct BarChart: Sendable {
    public struct Bar: Sendable, Hashable {
        public var label: String
        public var value: Double
        /// Drawn in the accent colour; the others in grey.
        public var highlighted: Bool

        public init(label: String, value: Double, highlighted: Bool = false) {
            self.label = label
            self.value = value
            self.highlighted = highlighted
        }
    }

    public var title: String
    public var bars: [Bar]
    public var format: @Sendable (Double) -> String

    public init(title: String, bars: [Bar], format: @escaping @Sendable (Double) -> String = { String(format: "%.2f", $0) }) {
        self.title = title
        self.bars = bars
        self.format = format
    }

    public func svg() -> String {
        let label = Markup.escape(title)
        let bars = self.bars.filter { $0.value.isFinite }
        guard !bars.isEmpty else {
            return "<svg class=\"chart\" viewBox=\"0 0 640 60\" role=\"img\" aria-label=\"\(label): no figures\"><text x=\"8\" y=\"34\">No figures yet</text></svg>"
        }
        let rowHeight = 22.0, left = 130.0, right = 70.0, width = 640.0
        let low = min(bars.map(\.value).min() ?? 0, 0), high = max(bars.map(\.value).max() ?? 0, 0)
        let span = max(high - low, 1e-9)
        func x(_ value: Double) -> Double { left + (width - left - right) * (value - low) / span }
        let height = rowHeight * Double(bars.count) + 10
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(label)\"><title>\(label)</title>"
        svg += "<line x1=\"\(Markup.number(x(0)))\" x2=\"\(Markup.number(x(0)))\" y1=\"0\" y2=\"\(Markup.number(height))\" stroke=\"#8a94a3\"/>"
        for (index, bar) in bars.enumerated() {
            let y = 5 + Double(index) * rowHeight
            let name = Markup.escape(bar.label), shown = Markup.escape(format(bar.value))
            let start = min(x(0), x(bar.value)), length = abs(x(bar.value) - x(0))
            svg += "<text x=\"\(Markup.number(left - 6))\" y=\"\(Markup.number(y + 11))\" text-anchor=\"end\">\(name)</text>"
            svg += "<rect x=\"\(Markup.number(start))\" y=\"\(Markup.number(y + 3))\" width=\"\(Markup.number(max(length, 1)))\" height=\"14\" fill=\"\(bar.highlighted ? "#0b5cad" : "#8a94a3")\"><title>\(name) \(shown)</title></rect>"
            svg += "<text x=\"\(Markup.number(width - right + 6))\" y=\"\(Markup.number(y + 11))\">\(shown)</text>"
        }
        return svg + "</svg>"
    }
}
