import Foundation
import KeelCore

/// Refuses a feature set that uses the future: features computed on histories cut at day t must equal the
/// features of day t computed on the full histories. A causal feature cannot tell the difference; one that
/// reads a later bar (even one) does.
public struct LookAheadCheck: Sendable {
    public struct Violation: Error, CustomStringConvertible, Sendable {
        public let features: [String]
        public var description: String { "features that use later data: \(features.joined(separator: ", "))" }
    }

    public var cutPoints: Int

    public init(cutPoints: Int = 4) {
        self.cutPoints = max(1, cutPoints)
    }

    public func verify(_ features: any FeatureSet, histories: [BarSeries], fundamentals: [FundamentalPoint] = []) throws {
        let full = features.build(histories, fundamentals: fundamentals)
        let days = Array(Set(full.map(\.date))).sorted()
        guard days.count > 2 else { return }
        var fullByKey: [String: [Double]] = [:]
        for row in full { fullByKey["\(row.symbol)|\(row.date.timeIntervalSince1970)"] = row.values }
        var offending = Set<Int>()
        // Cut points spread over the later half, where every feature has its history.
        for k in 1...cutPoints {
            let cut = days[days.count / 2 + (days.count / 2 - 1) * k / (cutPoints + 1)]
            let truncated = histories.map { $0.truncated(through: cut) }
            for row in features.build(truncated, fundamentals: fundamentals.filter { $0.publishedAt <= cut }) where row.date == cut {
                guard let reference = fullByKey["\(row.symbol)|\(row.date.timeIntervalSince1970)"] else { continue }
                for (f, value) in row.values.enumerated() where f < reference.count && !Self.same(value, reference[f]) {
                    offending.insert(f)
                }
            }
        }
        if !offending.isEmpty { throw Violation(features: offending.sorted().map { $0 < features.names.count ? features.names[$0] : "#\($0)" }) }
    }

    static func same(_ a: Double, _ b: Double) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        return abs(a - b) <= 1e-9 * max(1, abs(a), abs(b))
    }
}
