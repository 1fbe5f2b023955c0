import ArgumentParser
import Foundation
import KeelCore

/// The rebalance kernel (many accounts to model weights, whole lots, cost and cash buffers, maximum weight) against
/// numba running the same loop on the same book in the same run; every order must match bit for bit. Also times the
/// decimal door every plan goes through (`RebalancePlanner`, one account at a time), which the cycle pays per account.
struct RebalanceBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rebalance",
                                                    abstract: "Rebalance kernel (accounts x assets to model weights) vs numba, same orders.")

    @ArgumentParser.Option(help: "Accounts in the book.")
    var accounts = 10_000

    @ArgumentParser.Option(help: "Assets in the model portfolio.")
    var assets = 50

    @ArgumentParser.Option(help: "Timed repetitions.")
    var repetitions = 20

    @ArgumentParser.Option(help: "A Python with numba and numpy for the reference (default: $KEEL_NUMBA_PYTHON, else python3).")
    var python: String?

    @ArgumentParser.Flag(help: "Print one JSON object with the figures.")
    var json = false

    static let targetRatio = 1.0
    static let settings = RebalanceKernel.Settings(minimumOrderNotional: 10, driftThreshold: 0.005, buyCostBuffer: 0.005, maxWeight: 0.04, cashBuffer: 0.02)

    func validate() throws {
        guard (1...1_000_000).contains(accounts) else { throw ValidationError("--accounts must be between 1 and 1,000,000") }
        guard (1...1_000).contains(assets) else { throw ValidationError("--assets must be between 1 and 1,000") }
        guard accounts * assets <= 50_000_000 else { throw ValidationError("--accounts x --assets must be at most 50,000,000 cells") }
        guard (1...10_000).contains(repetitions) else { throw ValidationError("--repetitions must be between 1 and 10,000") }
    }

    func run() async throws {
        let report = BenchmarkReport(json: json)
        try measure(report)
        try report.finish()
    }

    func measure(_ report: BenchmarkReport) throws {
        let book = Self.book(accounts: accounts, assets: assets)
        var orders = RebalanceKernel.plan(book, settings: Self.settings)
        let timing = Timing.measure(repetitions: repetitions) { orders = RebalanceKernel.plan(book, settings: Self.settings) }
        let orderCount = orders.outcomes.filter { $0 == .order }.count
        var figures: [String: Any] = ["accounts": accounts, "assets": assets, "orders": orderCount, "keel_best_ms": timing.best,
                                      "keel_median_ms": timing.median, "target_ratio_to_numba": Self.targetRatio]
        report.check(orderCount > 0, "the kernel planned no orders: the benchmark's book tests nothing")
        report.line(String(format: "Keel kernel, %d accounts x %d assets: best %.2f ms, median %.2f ms; %d orders",
                           accounts, assets, timing.best, timing.median, orderCount))
        defer { report.set("rebalance", figures) }
        let planner = plannerMicroseconds(book)
        figures["planner_per_account_us"] = planner.microseconds
        report.check(planner.orders > 0, "the planner made no orders from the book: its time measures nothing")
        report.line(String(format: "the decimal door (RebalancePlanner, one account at a time, as the cycle plans): %.1f µs per account",
                           planner.microseconds))

        let interpreter = python ?? ProcessInfo.processInfo.environment["KEEL_NUMBA_PYTHON"] ?? "python3"
        guard let numba = try Self.numba(book, python: interpreter, repetitions: repetitions) else {
            figures["numba"] = "not available with \(interpreter): python3 -m venv /tmp/bench && /tmp/bench/bin/pip install numba numpy, then --python /tmp/bench/bin/python"
            report.line(figures["numba"] as! String)
            return
        }
        let same = numba.quantities.count == orders.quantities.count
            && zip(numba.quantities, orders.quantities).allSatisfy { $0.bitPattern == $1.bitPattern || ($0 == 0 && $1 == 0) }
            && numba.outcomes == orders.outcomes.map(\.rawValue)
        report.check(same, "the kernel's orders differ from numba's")
        let ratio = numba.bestMilliseconds / timing.best
        figures["numba_best_ms"] = numba.bestMilliseconds
        figures["same_orders"] = same
        figures["ratio_to_numba"] = ratio
        figures["met"] = ratio >= Self.targetRatio
        report.line(String(format: "numba: best %.2f ms; same orders: %@; speed vs numba %.2fx (target >= %.1fx): %@", numba.bestMilliseconds,
                           same ? "yes" : "NO", ratio, Self.targetRatio, ratio >= Self.targetRatio ? "met" : "NOT met"))
    }

    /// The planner on up to 1,000 of the book's accounts, each as the cycle hands it over: a snapshot and a target map.
    func plannerMicroseconds(_ book: RebalanceKernel.Book) -> (microseconds: Double, orders: Int) {
        let symbols = (0..<book.assets).map { String(format: "S%03d", $0) }
        let prices = Dictionary(uniqueKeysWithValues: zip(symbols, book.prices.map { Decimal(exactly: $0, significantDigits: 15) }))
        let targets = Dictionary(uniqueKeysWithValues: zip(symbols, book.targets))
        let instruments = Dictionary(uniqueKeysWithValues: zip(symbols, book.increments).map { symbol, increment in
            (symbol, Instrument(symbol: symbol, assetClass: increment < 1 ? .crypto : .equity, name: symbol,
                                quantityIncrement: Decimal(exactly: increment, significantDigits: 15)))
        })
        let sample = min(book.accounts, 1_000)
        let snapshots = (0..<sample).map { account in
            PortfolioSnapshot(cash: Decimal(exactly: book.cash[account], significantDigits: 15), holdings: symbols.indices.compactMap { j in
                let quantity = book.quantities[account * book.assets + j]
                return quantity > 0 ? Holding(symbol: symbols[j], quantity: Decimal(exactly: quantity, significantDigits: 15), averageCost: 1) : nil
            }, prices: prices)
        }
        let planner = RebalancePlanner(settings: Self.settings)
        var orders = 0
        let timing = Timing.measure(repetitions: 3) {
            orders = snapshots.reduce(0) { $0 + planner.plan(snapshot: $1, targets: targets, instruments: instruments).orders.count }
        }
        return (timing.best * 1_000 / Double(sample), orders)
    }

    /// A seeded book: a model portfolio of `assets` names (a few above the 4% cap, a few crypto lots), accounts holding
    /// most names near their weights after drift, some new accounts all in cash, some holding names the model dropped.
    static func book(accounts: Int, assets: Int) -> RebalanceKernel.Book {
        var generator = SeededGenerator(seed: 42)
        let prices = (0..<assets).map { _ in (10 + 490 * generator.nextUnit() * 100).rounded() / 100 }
        let increments = (0..<assets).map { $0 % 10 == 9 ? 0.000001 : 1 }
        var raw = (0..<assets).map { j in j % 7 == 3 ? 0 : 0.5 + generator.nextUnit() }
        let sum = raw.reduce(0, +)
        raw = raw.map { $0 / sum * 0.98 }
        var quantities = [Double](repeating: 0, count: accounts * assets)
        var cash = [Double](repeating: 0, count: accounts)
        for account in 0..<accounts {
            let value = 20_000 + 2_000_000 * generator.nextUnit() * generator.nextUnit()
            let fresh = generator.nextUnit() < 0.1
            var invested = 0.0
            if !fresh {
                for j in 0..<assets where generator.nextUnit() < 0.9 {
                    let weight = (raw[j] > 0 ? raw[j] : 0.01) * (0.7 + 0.6 * generator.nextUnit())
                    let quantity = ((weight * value / prices[j]) / increments[j]).rounded(.down) * increments[j]
                    quantities[account * assets + j] = quantity
                    invested += quantity * prices[j]
                }
            }
            cash[account] = max(value - invested, 0).rounded() + (fresh ? 0 : 500 * generator.nextUnit()).rounded()
        }
        return RebalanceKernel.Book(accounts: accounts, assets: assets, quantities: quantities, cash: cash, prices: prices,
                                    increments: increments, targets: raw)
    }

    /// numba's loop over the same columns (written here with the kernel's rules): best of `repetitions`, and its orders.
    static func numba(_ book: RebalanceKernel.Book, python: String, repetitions: Int) throws
        -> (bestMilliseconds: Double, quantities: [Double], outcomes: [UInt8])? {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keel-rebalance-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, column) in [("held", book.quantities), ("cash", book.cash), ("prices", book.prices), ("increments", book.increments),
                               ("targets", book.targets)] {
            try column.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: folder.appendingPathComponent(name + ".f64"))
        }
        let s = settings
        let script = """
        import sys, json, time, math, os
        import numpy as np
        from numba import njit
        d = sys.argv[1]
        load = lambda n: np.fromfile(os.path.join(d, n + ".f64"), dtype=np.float64)
        held, cash, prices, inc, targets = load("held"), load("cash"), load("prices"), load("increments"), load("targets")
        @njit(cache=False)
        def plan(held, cash, prices, inc, targets, minimum, drift, buffer, cap, cbuf):
            A = cash.shape[0]; N = prices.shape[0]
            shared = targets.shape[0] == N and A != 1
            out_q = np.zeros(A * N); out_o = np.zeros(A * N, dtype=np.uint8); out_v = np.zeros(A)
            for a in range(A):
                row = a * N
                trow = 0 if shared else row
                c = cash[a]
                total = c + 0.0
                for j in range(N):
                    if prices[j] > 0: total += held[row + j] * prices[j]
                out_v[a] = total
                if not (math.isfinite(total) and math.isfinite(c)): continue
                proceeds = 0.0; buying = 0.0
                for j in range(N):
                    q = held[row + j]; p = prices[j]; t0 = targets[trow + j]
                    if t0 > 0: t = t0
                    elif t0 != t0: t = q * p / total
                    else: t = 0.0
                    if not (q > 0 or t > 0): continue
                    if not (p > 0):
                        out_o[row + j] = 4; continue
                    exiting = t == 0
                    cur = q * p / total if total > 0 else 0.0
                    if (not exiting) and q > 0 and abs(cur - t) < drift:
                        out_o[row + j] = 3; continue
                    wanted = t * total / p
                    if wanted > q: wanted = max(q, min(t, cap) * total / p)
                    change = -q if exiting else wanted - q
                    i = inc[j]
                    if change > 0: traded = math.floor(change / i + 1e-9) * i
                    elif exiting: traded = q
                    else: traded = min(math.floor(-change / i + 1e-9) * i, q)
                    if not (traded > 0 and traded * p * 100 + 0.5 >= minimum):
                        if change != 0: out_o[row + j] = 2
                        continue
                    out_o[row + j] = 1
                    if change > 0:
                        out_q[row + j] = traded; buying += traded * p
                    else:
                        out_q[row + j] = -traded; proceeds += traded * p
                if not (buying > 0): continue
                factor = 1.0
                available = max(c + proceeds * (1 - buffer), 0.0); cost = buying * (1 + buffer)
                if cost > available: factor = available / cost
                if cbuf > 0:
                    spendable = max(c + proceeds - cbuf * total, 0.0)
                    if buying > spendable: factor = min(factor, spendable / buying)
                if not (factor < 1): continue
                for j in range(N):
                    if out_q[row + j] > 0:
                        i = inc[j]
                        scaled = math.floor(out_q[row + j] * factor / i) * i
                        if scaled > 0 and scaled * prices[j] * 100 + 0.5 >= minimum:
                            out_q[row + j] = scaled
                        else:
                            out_q[row + j] = 0.0; out_o[row + j] = 2
            return out_q, out_o, out_v
        # The minimum in whole cents (the kernel's minimumInCents): cents(x) >= m exactly when x * 100 + 0.5 >= it.
        args = (held, cash, prices, inc, targets, \(RebalanceKernel.minimumInCents(s.minimumOrderNotional)), \(s.driftThreshold), \(s.buyCostBuffer), \(s.maxWeight), \(s.cashBuffer))
        out = plan(*args)
        best = float('inf')
        for _ in range(int(sys.argv[2])):
            t = time.perf_counter(); out = plan(*args); best = min(best, time.perf_counter() - t)
        out[0].tofile(os.path.join(d, "q.out")); out[1].tofile(os.path.join(d, "o.out"))
        print(json.dumps({"seconds": best}))
        """
        guard let output = BacktestBenchmark.shell("/usr/bin/env", [python, "-c", script, folder.path, String(repetitions)]),
              let parsed = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any],
              let seconds = (parsed["seconds"] as? NSNumber)?.doubleValue,
              let quantityData = try? Data(contentsOf: folder.appendingPathComponent("q.out")),
              let outcomeData = try? Data(contentsOf: folder.appendingPathComponent("o.out")) else { return nil }
        let quantities = quantityData.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        return (seconds * 1_000, quantities, [UInt8](outcomeData))
    }
}
