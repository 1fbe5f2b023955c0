import Foundation

/// A line chart rendered on the server as inline SVG: one or more series over dates, with a labelled value axis
/// and first/last dates. Safe on any input: empty series, one point, flat lines and non-finite values (skipped).
public struct LineChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var points: [(date: Date, value: Double)]
        /// A CSS colour.
        public var colour: String

        public init(name: String, points: [(date: Date, value: Double)], colour: String = "#0b5cad") {
            self.name = name
            self.points = points
            self.colour = colour
        }
    }

    public var title: String
    public var series: [Series]
    public var width: Double = 640
    public var height: Double = 220
    public var format: @Sendable (Double) -> String = { Format.money($0) }

    public init(title: String, series: [Series], format: @escaping @Sendable (Double) -> String = { Format.money($0) }) {
        self.title = title
        self.series = series
        self.format = format
    }

    public func svg() -> String {
        let points = series.flatMap { $0.points.filter { $0.value.isFinite } }
        let label = Markup.escape(title)
        guard let first = points.map(\.date).min(), let last = points.map(\.date).max(),
              let low = points.map(\.value).min(), let high = points.map(\.value).max() else {
            return "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) 60\" role=\"img\" aria-label=\"\(label): no data yet\">"
                + "<text x=\"8\" y=\"34\">No data yet</text></svg>"
        }
        let left = 64.0, right = 12.0, top = series.count > 1 ? 24.0 : 12.0, bottom = 24.0
        let span = max(last.timeIntervalSince(first), 1)
        let padding = high > low ? (high - low) * 0.05 : max(abs(high) * 0.05, 1)
        let minimum = low - padding, maximum = high + padding
        // One day only: its points stand in the middle rather than against the axis.
        func x(_ date: Date) -> Double { last == first ? (left + width - right) / 2 : left + (width - left - right) * date.timeIntervalSince(first) / span }
        func y(_ value: Double) -> Double { top + (height - top - bottom) * (1 - (value - minimum) / (maximum - minimum)) }
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(label)\"><title>\(label)</title>"
        for tick in 0...3 {
            let value = minimum + (maximum - minimum) * Double(tick) / 3
            let ty = Markup.number(y(value))
            svg += "<line x1=\"\(Markup.number(left))\" x2=\"\(Markup.number(width - right))\" y1=\"\(ty)\" y2=\"\(ty)\" stroke=\"#e3e7ec\"/>"
            svg += "<text x=\"\(Markup.number(left - 6))\" y=\"\(ty)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(Markup.escape(format(value)))</text>"
        }
        svg += "<text x=\"\(Markup.number(left))\" y=\"\(Markup.number(height - 6))\">\(Format.day(first))</text>"
        svg += "<text x=\"\(Markup.number(width - right))\" y=\"\(Markup.number(height - 6))\" text-anchor=\"end\">\(Format.day(last))</text>"
        for line in series {
            let finite = line.points.filter { $0.value.isFinite }.sorted { $0.date < $1.date }
            guard !finite.isEmpty else { continue }
            let path = finite.map { "\(Markup.number(x($0.date))),\(Markup.number(y($0.value)))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(Markup.escape(line.colour))\" stroke-width=\"2\" points=\"\(path)\"><title>\(Markup.escape(line.name))</title></polyline>"
            if finite.count == 1 {
                svg += "<circle cx=\"\(Markup.number(x(finite[0].date)))\" cy=\"\(Markup.number(y(finite[0].value)))\" r=\"3\" fill=\"\(Markup.escape(line.colour))\"/>"
            }
        }
        // A legend when several lines share the chart: a swatch and the name of each, along the top.
        if series.count > 1 {
            var lx = left + 6
            for line in series {
                svg += "<rect x=\"\(Markup.number(lx))\" y=\"6\" width=\"12\" height=\"4\" fill=\"\(Markup.escape(line.colour))\"/>"
                svg += "<text x=\"\(Markup.number(lx + 16))\" y=\"12\">\(Markup.escape(line.name))</text>"
                lx += 28 + Double(line.name.count) * 6.2
            }
        }
        return svg + "</svg>"
    }
}
