import Foundation
import Plot

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

    public func node() -> Node<HTML.BodyContext> {
        let points = series.flatMap { $0.points.filter { $0.value.isFinite } }
        guard let first = points.map(\.date).min(), let last = points.map(\.date).max(),
              let low = points.map(\.value).min(), let high = points.map(\.value).max() else {
            return SVG.empty(width: width, label: "\(title): no data yet", message: "No data yet")
        }
        let left = 64.0, right = 12.0, top = series.count > 1 ? 24.0 : 12.0, bottom = 24.0
        let span = max(last.timeIntervalSince(first), 1)
        let padding = high > low ? (high - low) * 0.05 : max(abs(high) * 0.05, 1)
        let minimum = low - padding, maximum = high + padding
        // One day only: its points stand in the middle rather than against the axis.
        func x(_ date: Date) -> Double { last == first ? (left + width - right) / 2 : left + (width - left - right) * date.timeIntervalSince(first) / span }
        func y(_ value: Double) -> Double { top + (height - top - bottom) * (1 - (value - minimum) / (maximum - minimum)) }
        var nodes: [Node<SVG>] = []
        for tick in 0...3 {
            let value = minimum + (maximum - minimum) * Double(tick) / 3
            nodes.append(SVG.line(x1: left, x2: width - right, y1: y(value), y2: y(value), stroke: "#e3e7ec"))
            nodes.append(SVG.text(format(value), x: left - 6, y: y(value), anchor: "end", baseline: "middle"))
        }
        nodes.append(SVG.text(Format.day(first), x: left, y: height - 6))
        nodes.append(SVG.text(Format.day(last), x: width - right, y: height - 6, anchor: "end"))
        for line in series {
            let finite = line.points.filter { $0.value.isFinite }.sorted { $0.date < $1.date }
            guard !finite.isEmpty else { continue }
            nodes.append(SVG.polyline(finite.map { (x($0.date), y($0.value)) }, stroke: line.colour, strokeWidth: "2", title: line.name))
            if finite.count == 1 { nodes.append(SVG.circle(cx: x(finite[0].date), cy: y(finite[0].value), r: 3, fill: line.colour)) }
        }
        // A legend when several lines share the chart: a swatch and the name of each, along the top.
        if series.count > 1 {
            var lx = left + 6
            for line in series {
                nodes.append(SVG.rect(x: lx, y: 6, width: 12, height: 4, fill: line.colour))
                nodes.append(SVG.text(line.name, x: lx + 16, y: 12))
                lx += 28 + Double(line.name.count) * 7.5
            }
        }
        return SVG.chart(width: width, height: height, label: title, nodes)
    }
}
