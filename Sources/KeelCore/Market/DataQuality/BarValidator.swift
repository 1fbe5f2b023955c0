import Foundation

/// Checks a series of bars against the exchange calendar and the rules of sane prices, and decides per bar
/// (by the policy) whether it is stored, quarantined or rejected.
public struct BarValidator: Sendable {
    public struct Thresholds: Sendable {
        /// A close-to-close move beyond this is extreme (per bar) for exchange-traded symbols and crypto.
        public var extremeReturnEquity: Double
        public var extremeReturnCrypto: Double
        /// The adjusted close moving less than this across a jump means the jump is not real (a split).
        public var adjustedTolerance: Double

        public init(extremeReturnEquity: Double = 0.25, extremeReturnCrypto: Double = 0.4, adjustedTolerance: Double = 0.15) {
            self.extremeReturnEquity = extremeReturnEquity
            self.extremeReturnCrypto = extremeReturnCrypto
            self.adjustedTolerance = adjustedTolerance
        }
    }

    public struct Result: Sendable {
        public var issues: [QualityIssue]
        /// One action per bar of the input.
        public var actions: [QualityAction]
    }

    /// The last bar already stored before this series, so gaps and jumps across the seam are checked too.
    public struct PreviousBar: Sendable {
        public var timestamp: Date
        public var close: Double
        public var adjustedClose: Double?

        public init(timestamp: Date, close: Double, adjustedClose: Double?) {
            self.timestamp = timestamp
            self.close = close
            self.adjustedClose = adjustedClose
        }
    }

    public var policy: QualityPolicy
    public var thresholds: Thresholds

    public init(policy: QualityPolicy = .standard, thresholds: Thresholds = Thresholds()) {
        self.policy = policy
        self.thresholds = thresholds
    }

    public func validate(_ series: BarSeries, adjustedClose: [Double]?, assetClass: AssetClass, intraday: Bool,
                         previous: PreviousBar? = nil) -> Result {
        let calendar = ExchangeCalendar.forAssetClass(assetClass)
        var issues: [QualityIssue] = []
        var actions = [QualityAction](repeating: .accept, count: series.count)
        func flag(_ kind: QualityIssueKind, _ index: Int, _ detail: String) {
            issues.append(QualityIssue(kind: kind, timestamp: series.timestamps[index], barIndex: index, detail: detail))
            actions[index] = max(actions[index], policy.action(for: kind.severity))
        }
        let extreme = assetClass == .crypto ? thresholds.extremeReturnCrypto : thresholds.extremeReturnEquity

        var lastTime = previous?.timestamp
        var lastClose = previous?.close
        var lastAdjusted = previous?.adjustedClose
        for i in 0..<series.count {
            let (o, h, l, c, v) = (series.open[i], series.high[i], series.low[i], series.close[i], series.volume[i])
            let time = series.timestamps[i]
            if let lastTime, time <= lastTime {
                flag(.duplicateTimestamp, i, time == lastTime ? "a second bar with the same time" : "bar is older than the one before it")
                continue
            }
            let day = CivilDay(time)
            if let lastTime {
                for missing in missingSessions(after: lastTime, before: time, calendar: calendar, intraday: intraday) {
                    issues.append(QualityIssue(kind: .missingSession, timestamp: missing, barIndex: nil,
                                               detail: "no bar for a \(calendar.kind.rawValue) session"))
                }
            }
            if !calendar.isSession(day) { flag(.outsideSession, i, "bar on \(day), which is not a trading session") }

            let prices = [o, h, l, c]
            if prices.contains(where: \.isNaN) {
                let missing = zip(["open", "high", "low", "close"], prices).filter { $0.1.isNaN }.map(\.0)
                flag(.missingPrice, i, "empty \(missing.joined(separator: ", "))")
            } else if prices.contains(where: { $0 <= 0 }) {
                flag(.nonPositivePrice, i, "a price is zero or negative (o \(o) h \(h) l \(l) c \(c))")
            } else if h < max(o, c) || l > min(o, c) || h < l {
                flag(.ohlcInconsistent, i, "high \(h) / low \(l) do not contain open \(o) and close \(c)")
            }
            if v.isNaN { flag(.missingVolume, i, "empty volume") } else if v < 0 { flag(.negativeVolume, i, "volume \(v)") } else if v == 0 {
                flag(.zeroVolume, i, "volume 0")
            }

            let adjusted = adjustedClose.flatMap { i < $0.count && !$0[i].isNaN ? $0[i] : nil }
            if !c.isNaN, c > 0, let previousClose = lastClose, previousClose > 0 {
                let move = c / previousClose - 1
                if abs(move) > extreme {
                    if let adjusted, let previousAdjusted = lastAdjusted, previousAdjusted > 0,
                       abs(adjusted / previousAdjusted - 1) < thresholds.adjustedTolerance {
                        flag(.unadjustedSplit, i, String(format: "close moved x%.3f but the adjusted close only x%.3f: an unadjusted split",
                                                         c / previousClose, adjusted / previousAdjusted))
                    } else {
                        flag(.extremeReturn, i, String(format: "close moved %+.1f%% in one bar", move * 100))
                    }
                }
            }
            lastTime = time
            if !c.isNaN, c > 0 {
                lastClose = c
                lastAdjusted = adjusted
            }
        }
        return Result(issues: issues, actions: actions)
    }

    /// Session starts strictly between two bars: days for daily bars; for intraday crypto, hours; for
    /// intraday equities, whole session days without any bar.
    func missingSessions(after previous: Date, before next: Date, calendar: ExchangeCalendar, intraday: Bool) -> [Date] {
        if intraday && calendar.kind == .alwaysOpen {
            let gapHours = Int((next.timeIntervalSince(previous) / 3600).rounded()) - 1
            guard gapHours > 0 else { return [] }
            return (1...min(gapHours, 24 * 366)).map { previous.addingTimeInterval(Double($0) * 3600) }
        }
        let from = CivilDay(previous).adding(days: 1), to = CivilDay(next).adding(days: -1)
        return calendar.sessions(from: from, through: to).map(\.date)
    }
}
