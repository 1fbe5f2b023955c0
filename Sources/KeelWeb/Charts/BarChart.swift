import Foundation
import Plot

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

    public func node() -> Node<HTML.BodyContext> {
        let bars = self.bars.filter { $0.value.isFinite }
        guard !bars.isEmpty else { return SVG.empty(width: 640, label: "\(title): no figures", message: "No figures yet") }
        let rowHeight = 22.0, left = 130.0, right = 70.0, width = 640.0
        let low = min(bars.map(\.value).min() ?? 0, 0), high = max(bars.map(\.value).max() ?? 0, 0)
        let span = max(high - low, 1e-9)
        func x(_ value: Double) -> Double { left + (width - left - right) * (value - low) / span }
        let height = rowHeight * Double(bars.count) + 10
        var nodes: [Node<SVG>] = [SVG.line(x1: x(0), x2: x(0), y1: 0, y2: height, stroke: "#8a94a3")]
        for (index, bar) in bars.enumerated() {
            let y = 5 + Double(index) * rowHeight
            let shown = format(bar.value)
            let start = min(x(0), x(bar.value)), length = abs(x(bar.value) - x(0))
            nodes.append(SVG.text(bar.label, x: left - 6, y: y + 11, anchor: "end"))
            nodes.append(SVG.rect(x: start, y: y + 3, width: max(length, 1), height: 14, fill: bar.highlighted ? "#0b5cad" : "#8a94a3", title: "\(bar.label) \(shown)"))
            nodes.append(SVG.text(shown, x: width - right + 6, y: y + 11))
        }
        return SVG.chart(width: width, height: height, label: title, nodes)
    }
}
