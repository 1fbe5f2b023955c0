import Foundation
import KeelML

/// `POST /api/rl/train` as received; `validated(...)` names the first field at fault.
public struct RLTrainingRequest: Sendable, Codable {
    public var symbols: [String]?
    public var portfolioId: Int?
    public var from: String?
    public var to: String?
    public var episodes: Int?
    /// learning_rate, temperature, samples_per_step, risk_penalty, cost_bps, holdings, steps_per_episode, horizon_days,
    /// early_stopping_checks.
    public var params: [String: Double]?
    public var seed: Int64?

    public init(symbols: [String]?, portfolioId: Int? = nil, from: String?, to: String?, episodes: Int? = nil, params: [String: Double]? = nil,
                seed: Int64? = nil) {
        self.symbols = symbols
        self.portfolioId = portfolioId
        self.from = from
        self.to = to
        self.episodes = episodes
        self.params = params
        self.seed = seed
    }

    static let keys: Set<String> = ["learning_rate", "temperature", "samples_per_step", "risk_penalty", "cost_bps", "holdings", "steps_per_episode", "horizon_days",
                                    "early_stopping_checks"]

    func validated(today: Date, universe: (Int) async throws -> [String]) async throws -> RLTrainingPlan {
        var horizon: Int?
        if let value = params?["horizon_days"] {
            guard value.isFinite, value.rounded() == value, (1...120).contains(value) else {
                throw ServiceError.invalid("params.horizon_days", "params.horizon_days must be a whole number between 1 and 120")
            }
            horizon = Int(value)
        }
        // The universe, range and seed follow the ML request's rules.
        let common = try await MLTrainingRequest(modelType: "ridge", symbols: symbols, portfolioId: portfolioId, from: from, to: to,
                                                 horizonDays: horizon, seed: seed).validated(today: today, universe: universe)
        var parameters = RLParameters()
        parameters.episodes = episodes ?? parameters.episodes
        parameters.seed = UInt64(common.seed)
        for (key, value) in (params ?? [:]).sorted(by: { $0.key < $1.key }) where key != "horizon_days" {
            guard Self.keys.contains(key) else {
                throw ServiceError.invalid("params.\(key)", "\(key) is not an RL parameter (allowed: \(Self.keys.sorted().joined(separator: ", ")))")
            }
            guard value.isFinite else { throw ServiceError.invalid("params.\(key)", "params.\(key) must be a finite number") }
            func integer() throws -> Int {
                guard value.rounded() == value, abs(value) < 1e9 else { throw ServiceError.invalid("params.\(key)", "params.\(key) must be a whole number") }
                return Int(value)
            }
            switch key {
            case "learning_rate": parameters.learningRate = value
            case "temperature": parameters.temperature = value
            case "samples_per_step": parameters.samplesPerStep = try integer()
            case "risk_penalty": parameters.riskPenalty = value
            case "cost_bps": parameters.costBasisPoints = value
            case "holdings": parameters.holdings = try integer()
            case "steps_per_episode": parameters.stepsPerEpisode = try integer()
            case "early_stopping_checks": parameters.earlyStoppingChecks = try integer()
            default: break
            }
        }
        do {
            parameters = try parameters.validated()
        } catch let invalid as GBDTParameters.Invalid {
            throw ServiceError.invalid(invalid.field == "episodes" ? "episodes" : "params.\(invalid.field)",
                                      invalid.field == "episodes" ? invalid.message : "params.\(invalid.message)")
        }
        return RLTrainingPlan(parameters: parameters, symbols: common.symbols, from: common.from, to: common.to,
                              horizonDays: common.horizonDays, seed: common.seed)
    }
}

/// A validated RL training: what the job runs and the version row records.
public struct RLTrainingPlan: Sendable, Codable, Hashable {
    public var parameters: RLParameters
    public var symbols: [String]
    public var from: Date
    public var to: Date
    public var horizonDays: Int
    public var seed: Int64
}
