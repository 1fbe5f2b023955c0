import Foundation

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

    public func svg() -> String {
        let label = Markup.escape(title)
        let rows = self.rows.filter { $0.weight.isFinite && $0.weight >= 0 }
        guard !rows.isEmpty else {
            return "<svg class=\"chart\" viewBox=\"0 0 640 60\" role=\"img\" aria-label=\"\(label): nothing held\"><text x=\"8\" y=\"34\">Nothing held yet</text></svg>"
        }
        let rowHeight = 22.0, left = 90.0, right = 70.0, width = 640.0
        let largest = max(rows.map { max($0.weight, $0.target.flatMap { $0.isFinite ? $0 : nil } ?? 0) }.max() ?? 0, 0.01)
        let height = rowHeight * Double(rows.count) + 10
        func x(_ value: Double) -> Double { left + (width - left - right) * min(max(value, 0), largest) / largest }
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(label)\"><title>\(label)</title>"
        for (index, row) in rows.enumerated() {
            let y = 5 + Double(index) * rowHeight
            let symbol = Markup.escape(row.symbol)
            svg += "<text x=\"\(Markup.number(left - 6))\" y=\"\(Markup.number(y + 11))\" text-anchor=\"end\">\(symbol)</text>"
            svg += "<rect x=\"\(Markup.number(left))\" y=\"\(Markup.number(y + 3))\" width=\"\(Markup.number(x(row.weight) - left))\" height=\"14\" fill=\"#0b5cad\"><title>\(symbol) \(Format.percent(row.weight))</title></rect>"
            if let target = row.target, target.isFinite {
                svg += "<line x1=\"\(Markup.number(x(target)))\" x2=\"\(Markup.number(x(target)))\" y1=\"\(Markup.number(y))\" y2=\"\(Markup.number(y + 20))\" stroke=\"#a4161a\" stroke-width=\"2\"><title>target \(Format.percent(target))</title></line>"
            }
            svg += "<text x=\"\(Markup.number(width - right + 6))\" y=\"\(Markup.number(y + 11))\">\(Format.percent(row.weight))</text>"
        }
        return svg + "</svg>"
    }
}
