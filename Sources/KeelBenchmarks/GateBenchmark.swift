import ArgumentParser
import Foundation
import KeelCore
import KeelML

/// The deployment gate's error rates per model family: on independent null markets (factor structure, clustered
/// volatility, jumps, no signal) the share that passes is the false-positive rate per trial; on markets with a
/// planted signal, the power. Printed beside the rates of the rules the gate had before (plain t, no holdout,
/// no deflated Sharpe).
struct GateBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gate", abstract: "False-positive rate and power of the deployment gate per model family.")

    @ArgumentParser.Option(help: "Markets per family, horizon and kind (null and planted).")
    var markets = 200

    @ArgumentParser.Option(parsing: .upToNextOption, help: "Families: ridge gbdt rl.")
    var families: [String] = ["ridge", "gbdt", "rl"]

    @ArgumentParser.Option(parsing: .upToNextOption, help: "Label horizons in days.")
    var horizons: [Int] = [5, 20, 60]

    @ArgumentParser.Option(help: "Names per market.")
    var symbols = 20

    @ArgumentParser.Option(help: "Trading days per market.")
    var days = 1_000

    @ArgumentParser.Option(help: "The planted signal: expected daily return per standard deviation of the hidden state.")
    var signal = GateRateTargets.plantedSignal

    @ArgumentParser.Option(help: "Threads (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @ArgumentParser.Flag(help: "Print one JSON object with the figures.")
    var json = false

    struct Report: Codable {
        var markets: Int
        var symbols: Int
        var days: Int
        var signal: Double
        var targetFalsePositiveRate: Double
        var targetPower: Double
        var rows: [Row]
    }

    struct Row: Codable {
        var family: String
        var horizon: Int
        var null: GateMonteCarlo.Rates
        var planted: GateMonteCarlo.Rates
        var seconds: Double
    }

    func run() throws {
        guard (10...5_000).contains(markets) else { throw ValidationError("--markets must be between 10 and 5,000") }
        guard (5...200).contains(symbols) else { throw ValidationError("--symbols must be between 5 and 200") }
        guard (400...5_000).contains(days) else { throw ValidationError("--days must be between 400 and 5,000") }
        guard horizons.allSatisfy({ (1...126).contains($0) }) else { throw ValidationError("--horizons must each be between 1 and 126") }
        let chosen = try families.map { name -> GateMonteCarlo.Family in
            guard let family = GateMonteCarlo.Family(rawValue: name) else { throw ValidationError("--families: unknown family \(name) (ridge, gbdt, rl)") }
            return family
        }
        var rows: [Row] = []
        for family in chosen {
            for horizon in horizons {
                let started = Date()
                let null = try GateMonteCarlo(family: family, market: FactorMarket(symbols: symbols, days: days, signal: 0), horizon: horizon)
                    .rates(seeds: 1..<UInt64(markets + 1), parallelism: threads)
                let planted = try GateMonteCarlo(family: family, market: FactorMarket(symbols: symbols, days: days, signal: signal), horizon: horizon)
                    .rates(seeds: 100_001..<UInt64(100_001 + markets), parallelism: threads)
                rows.append(Row(family: family.rawValue, horizon: horizon, null: null, planted: planted, seconds: Date().timeIntervalSince(started)))
                if !json {
                    print(String(format: "%-5@ h=%-3d false positives %5.1f%% (IC test %5.1f%%, before: gate %5.1f%%, plain-t IC test %5.1f%%; t spread %.2f vs plain %.2f)  power %5.1f%% (IC test %5.1f%%, before %5.1f%%, rank IC %.3f)  [%.0f s]",
                                 family.rawValue, horizon, null.gate * 100, null.rankICTest * 100, null.formerGate * 100, null.plainRankICTest * 100,
                                 null.rankICTStatSpread, null.plainRankICTStatSpread, planted.gate * 100, planted.rankICTest * 100, planted.formerGate * 100, planted.averageRankIC, Date().timeIntervalSince(started)))
                    print("      refusals on planted markets: \(planted.refusals.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
                }
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            let report = Report(markets: markets, symbols: symbols, days: days, signal: signal, targetFalsePositiveRate: GateRateTargets.falsePositiveRate,
                                targetPower: GateRateTargets.power, rows: rows)
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
    }
}

/// What the gate must achieve on simulated markets (stated in the README and checked by the unit test).
enum GateRateTargets {
    static let falsePositiveRate = 0.05
    static let power = 0.90
    static let plantedSignal = 0.003
}

