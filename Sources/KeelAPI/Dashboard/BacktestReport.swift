import Foundation
import KeelML
import KeelCore
import KeelServices

/// A self-contained HTML report of a backtest: equity and drawdown as inline SVG, monthly returns,
/// metrics and trades. No scripts, fonts or images from the network.
public enum BacktestReport {
    public static func html(_ outcome: BacktestOutcome) -> String {
        let m = outcome.metrics
        let rows: [(String, String)] = [
            ("Final equity", money(outcome.finalEquity)), ("Total return", pct(m.totalReturn)), ("CAGR", pct(m.cagr)),
            ("Annual volatility", pct(m.annualVolatility)), ("Sharpe", num(m.sharpe)), ("Sortino", num(m.sortino)),
            ("Max drawdown", pct(m.maxDrawdown)), ("Calmar", num(m.calmar)), ("Turnover (per year)", num(m.turnover)),
            ("Exposure", pct(m.exposure)), ("Trades", "\(m.trades)"), ("Win rate", pct(m.winRate)), ("Profit factor", num(m.profitFactor)),
            ("Alpha", m.alpha.map(pct) ?? "–"), ("Beta", m.beta.map(num) ?? "–"), ("Commissions", money(outcome.commissions)),
            ("Fills", outcome.execution ?? "–"),
        ]
        let metricRows = rows.map { "<tr><th>\($0.0)</th><td>\(escape($0.1))</td></tr>" }.joined()
        let trades = outcome.tradeList.suffix(500).map { t in
            "<tr><td>\(escape(t.symbol))</td><td>\(day(t.entryTime))</td><td>\(day(t.exitTime))</td><td>\(num(t.quantity))</td>"
                + "<td>\(num(t.entryPrice))</td><td>\(num(t.exitPrice))</td><td class=\"\(t.profitLoss >= 0 ? "up" : "down")\">\(money(t.profitLoss))</td></tr>"
        }.joined()
        return """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Backtest: \(escape(outcome.strategy))</title>
        <style>
        body{font-family:system-ui,-apple-system,sans-serif;margin:2em auto;max-width:980px;color:#1d2330}
        h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}table{border-collapse:collapse;font-size:13px}
        th,td{padding:3px 8px;border-bottom:1px solid #e3e6ea;text-align:right}th{text-align:left;font-weight:500;color:#556}
        .up{color:#17803d}.down{color:#b42318}.grid{display:grid;grid-template-columns:300px 1fr;gap:24px}
        svg{background:#fbfcfd;border:1px solid #e3e6ea}.muted{color:#778}
        </style></head><body>
        <h1>Backtest: \(escape(outcome.strategy))</h1>
        <p class="muted">\(escape(outcome.symbols.prefix(12).joined(separator: ", ")))\(outcome.symbols.count > 12 ? " and \(outcome.symbols.count - 12) more" : "") ·
        \(outcome.equityCurve.first.map { day($0.date) } ?? "") to \(outcome.equityCurve.last.map { day($0.date) } ?? "") ·
        \(outcome.fills) fills · \(String(format: "%.1f", outcome.elapsedMilliseconds)) ms\(outcome.benchmark.map { " · benchmark \(escape($0))" } ?? "")</p>
        <div class="grid"><table>\(metricRows)</table><div>
        <h2 style="margin-top:0">Equity</h2>\(equitySVG(outcome))
        <h2>Drawdown</h2>\(drawdownSVG(outcome))</div></div>
        \(autonomousSection(outcome))
        <h2>Monthly returns</h2>\(monthlyTable(outcome))
        <h2>Trades (\(outcome.trades))</h2>
        <table><tr><th>Symbol</th><th>Entry</th><th>Exit</th><th>Qty</th><th>Entry price</th><th>Exit price</th><th>P&amp;L</th></tr>\(trades)</table>
        </body></html>
        """
    }

    static let width = 640.0, height = 220.0

    /// The autonomous replay against the benchmark and each fixed strategy, and what the policy did.
    static func autonomousSection(_ outcome: BacktestOutcome) -> String {
        guard let report = outcome.autonomous else { return "" }
        func row(_ name: String, _ f: AutonomousPolicyReplay.Figures) -> String {
            "<tr><th>\(escape(name))</th><td>\(pct(f.totalReturn))</td><td>\(pct(f.cagr))</td><td>\(num(f.sharpe))</td><td>\(pct(f.maxDrawdown))</td>"
                + "<td>\(num(f.turnover))</td><td>\(money(f.costs))</td></tr>"
        }
        let rows = [row("autonomous policy", report.policy), row("buy and hold \(outcome.benchmark ?? "benchmark")", report.benchmark)]
            + report.fixed.sorted { $0.key < $1.key }.map { row($0.key, $0.value) }
        func days(_ counts: [String: Int]) -> String {
            counts.sorted { $0.key < $1.key }.map { "\(escape($0.key)) \($0.value)" }.joined(separator: " · ")
        }
        return """
        <h2>Autonomous policy against the benchmark and each fixed strategy (\(day(report.from)) to \(day(report.to)))</h2>
        <table><tr><th></th><th>Total return</th><th>CAGR</th><th>Sharpe</th><th>Max drawdown</th><th>Turnover</th><th>Costs</th></tr>\(rows.joined())</table>
        <p class="muted">\(report.switches) switches · \(report.demotions) demotions · \(report.derisks) de-risks ·
        days in regime: \(days(report.daysInRegime)) · days in strategy: \(days(report.daysInStrategy))</p>
        """
    }

    static func points(_ values: [Double], low: Double, high: Double) -> String {
        guard values.count > 1, high > low else { return "" }
        let step = max(1, values.count / 1200)
        return stride(from: 0, to: values.count, by: step).map { i in
            let x = Double(i) / Double(values.count - 1) * width
            let y = height - (values[i] - low) / (high - low) * (height - 10) - 5
            return String(format: "%.1f,%.1f", x, y)
        }.joined(separator: " ")
    }

    static func equitySVG(_ outcome: BacktestOutcome) -> String {
        let equity = outcome.equityCurve.map(\.equity)
        let bench = outcome.benchmarkCurve?.map(\.equity) ?? []
        let all = equity + bench
        guard let low = all.min(), let high = all.max() else { return "" }
        let benchLine = bench.isEmpty ? "" : "<polyline fill=\"none\" stroke=\"#98a2b3\" stroke-dasharray=\"4 3\" stroke-width=\"1.2\" points=\"\(points(bench, low: low, high: high))\"/>"
        return """
        <svg width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="equity curve">\(benchLine)
        <polyline fill="none" stroke="#2b59c3" stroke-width="1.6" points="\(points(equity, low: low, high: high))"/>
        <text x="4" y="14" font-size="11" fill="#556">\(money(high))</text><text x="4" y="\(Int(height) - 4)" font-size="11" fill="#556">\(money(low))</text></svg>
        """
    }

    static func drawdownSVG(_ outcome: BacktestOutcome) -> String {
        var peak = -Double.infinity
        let drawdown = outcome.equityCurve.map { point -> Double in
            peak = max(peak, point.equity)
            return peak > 0 ? point.equity / peak - 1 : 0
        }
        guard let low = drawdown.min(), low < 0 else { return "<p class=\"muted\">No drawdown.</p>" }
        let line = points(drawdown, low: low, high: 0)
        return """
        <svg width="\(Int(width))" height="\(Int(height / 2))" viewBox="0 0 \(Int(width)) \(Int(height))" preserveAspectRatio="none" role="img" aria-label="drawdown">
        <polygon fill="#f4c7c3" stroke="#b42318" stroke-width="1" points="0,5 \(line) \(Int(width)),5"/></svg>
        <p class="muted">Deepest: \(pct(low))</p>
        """
    }

    static func monthlyTable(_ outcome: BacktestOutcome) -> String {
        var monthEnd: [Int: Double] = [:]  // year*12+month -> last equity of the month
        var order: [Int] = []
        for point in outcome.equityCurve {
            let (y, m, _) = CivilDay(point.date).components
            let key = y * 12 + (m - 1)
            if monthEnd[key] == nil { order.append(key) }
            monthEnd[key] = point.equity
        }
        var previous = outcome.initialCash
        var returns: [Int: Double] = [:]
        for key in order {
            let end = monthEnd[key] ?? previous
            returns[key] = previous > 0 ? end / previous - 1 : 0
            previous = end
        }
        let years = Array(Set(order.map { $0 / 12 })).sorted()
        let header = "<tr><th>Year</th>" + ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].map { "<th>\($0)</th>" }.joined() + "<th>Year</th></tr>"
        let body = years.map { year -> String in
            var cells = "<tr><th>\(year)</th>"
            var compounded = 1.0
            for month in 0..<12 {
                if let r = returns[year * 12 + month] {
                    compounded *= 1 + r
                    cells += "<td class=\"\(r >= 0 ? "up" : "down")\">\(String(format: "%.1f", r * 100))</td>"
                } else {
                    cells += "<td></td>"
                }
            }
            return cells + "<td><b>\(String(format: "%.1f", (compounded - 1) * 100))</b></td></tr>"
        }.joined()
        return "<table>\(header)\(body)</table><p class=\"muted\">Percent.</p>"
    }

    static func pct(_ value: Double) -> String { value.isFinite ? String(format: "%.2f%%", value * 100) : "–" }
    static func num(_ value: Double) -> String { value.isFinite ? String(format: "%.2f", value) : (value.isInfinite ? "∞" : "–") }
    static func money(_ value: Double) -> String { value.isFinite ? String(format: "%.2f", value) : "–" }
    static func day(_ date: Date) -> String { CivilDay(date).description }
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
