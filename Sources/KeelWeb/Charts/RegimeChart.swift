import Foundation
import Plot

/// A benchmark's closes with the market regime of each day as coloured bands behind the line, rendered on the
/// server as inline SVG. Safe on empty input and non-finite closes.
public struct RegimeChart: Sendable {
    public struct Day: Sendable, Hashable {
        public var date: Date
        public var close: Double
        public var regime: String

        public init(date: Date, close: Double, regime: String) {
            self.date = date
            self.close = close
            self.regime = regime
        }
    }

    public var title: String
    public var days: [Day]

    public init(title: String, days: [Day]) {
        self.title = title
        self.days = days
    }

    static let colours = ["bull": "#dcefe1", "bear": "#f6d6d6", "high_volatility": "#f7e3c4", "sideways": "#e6e9ee"]

    public func node() -> Node<HTML.BodyContext> {
        let days = self.days.filter { $0.close.isFinite }.sorted { $0.date < $1.date }
        guard let first = days.first, let last = days.last, let low = days.map(\.close).min(), let high = days.map(\.close).max() else {
            return SVG.empty(width: 640, label: "\(title): no data yet", message: "No data yet")
        }
        let width = 640.0, height = 220.0, left = 64.0, right = 12.0, top = 12.0, bottom = 40.0
        let span = max(last.date.timeIntervalSince(first.date), 1)
        let pad = high > low ? (high - low) * 0.05 : max(abs(high) * 0.05, 1)
        func x(_ date: Date) -> Double { left + (width - left - right) * date.timeIntervalSince(first.date) / span }
        func y(_ value: Double) -> Double { top + (height - top - bottom) * (1 - (value - (low - pad)) / ((high + pad) - (low - pad))) }
        var nodes: [Node<SVG>] = []
        // One band per run of days in the same regime.
        var start = 0
        for index in 1...days.count where index == days.count || days[index].regime != days[start].regime {
            let from = x(days[start].date), to = index == days.count ? x(last.date) : x(days[index].date)
            nodes.append(SVG.rect(x: from, y: top, width: max(to - from, 1), height: height - top - bottom, fill: Self.colours[days[start].regime] ?? "#eeeeee",
                                  title: "\(days[start].regime) from \(Format.day(days[start].date))"))
            start = index
        }
        nodes.append(SVG.polyline(days.map { (x($0.date), y($0.close)) }, stroke: "#1b2430", strokeWidth: "1.5"))
        nodes.append(SVG.text(Format.money(high), x: left - 6, y: y(high), anchor: "end"))
        nodes.append(SVG.text(Format.money(low), x: left - 6, y: y(low), anchor: "end"))
        nodes.append(SVG.text(Format.day(first.date), x: left, y: height - 24))
        nodes.append(SVG.text(Format.day(last.date), x: width - right, y: height - 24, anchor: "end"))
        var legendX = left
        for regime in ["bull", "bear", "high_volatility", "sideways"] {
            nodes.append(SVG.rect(x: legendX, y: height - 14, width: 10, height: 10, fill: Self.colours[regime] ?? "#eeeeee", stroke: "#8a94a3"))
            nodes.append(SVG.text(regime.replacingOccurrences(of: "_", with: " "), x: legendX + 14, y: height - 5))
            legendX += 120
        }
        return SVG.chart(width: width, height: height, label: title, nodes)
    }
}
