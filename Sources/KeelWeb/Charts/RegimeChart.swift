import Foundation

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

    public func svg() -> String {
        let days = self.days.filter { $0.close.isFinite }.sorted { $0.date < $1.date }
        let label = Markup.escape(title)
        guard let first = days.first, let last = days.last, let low = days.map(\.close).min(), let high = days.map(\.close).max() else {
            return "<svg class=\"chart\" viewBox=\"0 0 640 60\" role=\"img\" aria-label=\"\(label): no data yet\"><text x=\"8\" y=\"34\">No data yet</text></svg>"
        }
        let width = 640.0, height = 220.0, left = 64.0, right = 12.0, top = 12.0, bottom = 40.0
        let span = max(last.date.timeIntervalSince(first.date), 1)
        let pad = high > low ? (high - low) * 0.05 : max(abs(high) * 0.05, 1)
        func x(_ date: Date) -> Double { left + (width - left - right) * date.timeIntervalSince(first.date) / span }
        func y(_ value: Double) -> Double { top + (height - top - bottom) * (1 - (value - (low - pad)) / ((high + pad) - (low - pad))) }
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(label)\"><title>\(label)</title>"
        // One band per run of days in the same regime.
        var start = 0
        for index in 1...days.count where index == days.count || days[index].regime != days[start].regime {
            let from = x(days[start].date), to = index == days.count ? x(last.date) : x(days[index].date)
            let colour = Self.colours[days[start].regime] ?? "#eeeeee"
            svg += "<rect x=\"\(Markup.number(from))\" y=\"\(Markup.number(top))\" width=\"\(Markup.number(max(to - from, 1)))\" height=\"\(Markup.number(height - top - bottom))\" fill=\"\(colour)\"><title>\(Markup.escape(days[start].regime)) from \(Format.day(days[start].date))</title></rect>"
            start = index
        }
        let points = days.map { "\(Markup.number(x($0.date))),\(Markup.number(y($0.close)))" }.joined(separator: " ")
        svg += "<polyline fill=\"none\" stroke=\"#1b2430\" stroke-width=\"1.5\" points=\"\(points)\"/>"
        svg += "<text x=\"\(Markup.number(left - 6))\" y=\"\(Markup.number(y(high)))\" text-anchor=\"end\">\(Markup.escape(Format.money(high)))</text>"
        svg += "<text x=\"\(Markup.number(left - 6))\" y=\"\(Markup.number(y(low)))\" text-anchor=\"end\">\(Markup.escape(Format.money(low)))</text>"
        svg += "<text x=\"\(Markup.number(left))\" y=\"\(Markup.number(height - 24))\">\(Format.day(first.date))</text>"
        svg += "<text x=\"\(Markup.number(width - right))\" y=\"\(Markup.number(height - 24))\" text-anchor=\"end\">\(Format.day(last.date))</text>"
        var legendX = left
        for regime in ["bull", "bear", "high_volatility", "sideways"] {
            svg += "<rect x=\"\(Markup.number(legendX))\" y=\"\(Markup.number(height - 14))\" width=\"10\" height=\"10\" fill=\"\(Self.colours[regime]!)\" stroke=\"#8a94a3\"/>"
            svg += "<text x=\"\(Markup.number(legendX + 14))\" y=\"\(Markup.number(height - 5))\">\(regime.replacingOccurrences(of: "_", with: " "))</text>"
            legendX += 120
        }
        return svg + "</svg>"
    }
}
