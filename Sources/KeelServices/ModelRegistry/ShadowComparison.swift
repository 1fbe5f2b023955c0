import Foundation
import KeelCore
import KeelML
import KeelStore

/// A shadow version against what was served at the same times, judged by the returns that followed: per
/// cross-section (one client, one time) the rank correlation of each side's scores with the realised forward
/// returns over the candidate's horizon, averaged over the cross-sections whose horizon has passed.
public struct ShadowComparison: Sendable, Codable, Hashable {
    public var modelId: String
    public var version: String
    public var horizonDays: Int
    public var shadowPredictions: Int
    /// Cross-sections with at least 3 names whose forward return is known.
    public var evaluatedCrossSections: Int
    public var pendingCrossSections: Int
    public var shadowMeanRankIC: Double?
    public var servedMeanRankIC: Double?
    /// The versions that were served at those times.
    public var servedVersions: [String]

    static func compare(_ model: MLModelRecord, shadow: [StoredPrediction], served: [StoredPrediction], histories: [BarSeries]) -> ShadowComparison {
        let series = Dictionary(histories.map { ($0.symbol, $0) }, uniquingKeysWith: { first, _ in first })
        func realised(_ symbol: String, _ asOf: Date) -> Double? {
            guard let bars = series[symbol], let start = bars.lastIndex(onOrBefore: asOf), start + model.horizonDays < bars.count,
                  bars.close[start] > 0 else { return nil }
            return bars.close[start + model.horizonDays] / bars.close[start] - 1
        }
        struct Key: Hashable { var client: Int?; var asOf: Date }
        let servedBy = Dictionary(grouping: served) { Key(client: $0.clientID, asOf: $0.asOf) }
        var shadowICs: [Double] = [], servedICs: [Double] = [], pending = 0
        var usedVersions = Set<String>()
        for (key, group) in Dictionary(grouping: shadow, by: { Key(client: $0.clientID, asOf: $0.asOf) }).sorted(by: { $0.key.asOf < $1.key.asOf }) {
            // The version served last at that time is the one the shadow stood beside (newest rows come first).
            let servedHere = servedBy[key] ?? []
            let servedVersion = servedHere.first?.modelVersion
            let servedScores = Dictionary(servedHere.filter { $0.modelVersion == servedVersion }.map { ($0.symbol, $0.score) },
                                          uniquingKeysWith: { first, _ in first })
            if let servedVersion { usedVersions.insert(servedVersion) }
            var candidate: [Double] = [], incumbent: [Double] = [], outcomes: [Double] = []
            for prediction in group.sorted(by: { $0.symbol < $1.symbol }) {
                guard let outcome = realised(prediction.symbol, prediction.asOf), let servedScore = servedScores[prediction.symbol] else { continue }
                candidate.append(prediction.score)
                incumbent.append(servedScore)
                outcomes.append(outcome)
            }
            guard outcomes.count >= 3 else { pending += 1; continue }
            if let ic = PredictionMetrics.rankCorrelation(candidate, outcomes) { shadowICs.append(ic) }
            if let ic = PredictionMetrics.rankCorrelation(incumbent, outcomes) { servedICs.append(ic) }
        }
        func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
        return ShadowComparison(modelId: model.modelID, version: model.version, horizonDays: model.horizonDays, shadowPredictions: shadow.count,
                                evaluatedCrossSections: max(shadowICs.count, servedICs.count), pendingCrossSections: pending,
                                shadowMeanRankIC: mean(shadowICs), servedMeanRankIC: mean(servedICs),
                                servedVersions: usedVersions.sorted())
    }
}

extension ModelRegistryService {
    public func shadowComparison(_ modelID: String, by principal: Principal) async throws -> ShadowComparison {
        try principal.ensureStaff()
        return try await context.database.read { session in
            guard let model = try await session.models.find(modelID) else { throw ServiceError.notFound("model \(modelID)", field: "model_id") }
            let shadow = try await session.models.predictions(modelID: modelID, limit: 5000).filter { $0.role == "shadow" }
            let times = Array(Set(shadow.map(\.asOf)))
            let served = try await session.models.servedPredictions(asOf: times, limit: 20_000)
            let symbols = Array(Set(shadow.map(\.symbol))).sorted()
            let since = (times.min() ?? Date()).addingTimeInterval(-86_400)
            let histories = try await session.marketBars.history(symbols: symbols, since: since)
            return ShadowComparison.compare(model, shadow: shadow, served: served, histories: histories)
        }
    }
}
