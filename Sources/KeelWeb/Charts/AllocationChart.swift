import Foundation
import Plot

/// Holdings against their targets as horizontal bars, rendered on the server as inline SVG: one row per symbol,
/// the held weight as a bar and the target as a tick. Safe on empty and non-finite input.
public struct AllocationChart: Sendable {
    public struct Row: Sendable, Hashable {
        public var symbol: String
        public var weight: Double
        public var target: Double?

        public init(symbol: String, weight: Double, target: Double?) {
            self.symbol = symbol
            self.weight = weight
            self.target = target
        }
    }

    public var title: String
    public var rows: [Row]

    public init(title: String, rows: [Row]) {
        self.title = title
        self.rows = rows
    }

    public func node() -> Node<HTML.BodyContext> {
        let rows = self.rows.filter { $0.weight.isFinite && $0.weight >= 0 }
        guard !rows.isEmpty else { return SVG.empty(width: 640, label: "\(title): nothing held", message: "Nothing held yet") }
        let rowHeight = 22.0, left = 90.0, right = 70.0, width = 640.0
        let largest = max(rows.map { max($0.weight, $0.target.flatMap { $0.isFinite ? $0 : nil } ?? 0) }.max() ?? 0, 0.01)
        let height = rowHeight * Double(rows.count) + 10
        func x(_ value: Double) -> Double { left + (width - left - right) * min(max(value, 0), largest) / largest }
        var nodes: [Node<SVG>] = []
        for (index, row) in rows.enumerated() {
            let y = 5 + Double(index) * rowHeight
            nodes.append(SVG.text(row.symbol, x: left - 6, y: y + 11, anchor: "end"))
            nodes.append(SVG.rect(x: left, y: y + 3, width: x(row.weight) - left, height: 14, fill: "#0b5cad", title: "\(row.symbol) \(Format.percent(row.weight))"))
            if let target = row.target, target.isFinite {
                nodes.append(SVG.line(x1: x(target), x2: x(target), y1: y, y2: y + 20, stroke: "#a4161a", strokeWidth: "2", title: "target \(Format.percent(target))"))
            }
            nodes.append(SVG.text(Format.percent(row.weight), x: width - right + 6, y: y + 11))
        }
        return SVG.chart(width: width, height: height, label: title, nodes)
    }
}
