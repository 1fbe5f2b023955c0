import Foundation
import KeelCore
import KeelML

/// `POST /api/ml-models/train` as received; `validated(...)` turns it into a `MLTrainingPlan` or names the
/// first field at fault.
public struct MLTrainingRequest: Sendable, Codable {
    public var modelType: String?
    public var symbols: [String]?
    public var portfolioId: Int?
    public var from: String?
    public var to: String?
    public var horizonDays: Int?
    /// gbdt: trees, learning_rate, max_depth, max_leaves, max_bins, min_samples_per_leaf, l2, min_split_gain, row_subsample,
    /// early_stopping_rounds; ridge: lambda (one value, or the grid's centre).
    public var params: [String: Double]?
    public var seed: Int64?

    public init(modelType: String?, symbols: [String]?, portfolioId: Int? = nil, from: String?, to: String?, horizonDays: Int? = nil,
                params: [String: Double]? = nil, seed: Int64? = nil) {
        self.modelType = modelType
        self.symbols = symbols
        self.portfolioId = portfolioId
        self.from = from
        self.to = to
        self.horizonDays = horizonDays
        self.params = params
        self.seed = seed
    }

    static let gbdtParameters: Set<String> = ["trees", "learning_rate", "max_depth", "max_leaves", "max_bins", "min_samples_per_leaf", "l2", "min_split_gain",
                                               "row_subsample", "early_stopping_rounds"]

    /// The earliest `from` a training takes (no stored market data is older).
    static let earliestDay = CivilDay(year: 1900, month: 1, day: 1).date

    /// Everything checked that can be checked without data; `universe` resolves a `portfolio_id`. `today` bounds
    /// `to`: no bars exist after it.
    func validated(today: Date, universe: (Int) async throws -> [String]) async throws -> MLTrainingPlan {
        guard let typeText = modelType?.trimmingCharacters(in: .whitespaces).lowercased(), !typeText.isEmpty else {
            throw ServiceError.invalid("model_type", "model_type is required: ridge or gbdt")
        }
        guard let kind = PredictorKind(rawValue: typeText) else {
            throw ServiceError.invalid("model_type", "model_type must be ridge or gbdt")
        }
        var names: [String]
        if let symbols {
            names = symbols.map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.filter { !$0.isEmpty }
        } else if let portfolioId {
            names = try await universe(portfolioId)
        } else {
            throw ServiceError.invalid("symbols", "symbols (or portfolio_id) is required")
        }
        var seen = Set<String>()
        names = names.filter { seen.insert($0).inserted }
        guard names.count >= 3 else { throw ServiceError.invalid("symbols", "symbols must name at least 3 symbols (a cross-section to rank)") }
        guard names.count <= 500 else { throw ServiceError.invalid("symbols", "symbols may name at most 500 symbols") }
        guard names.allSatisfy({ $0.count <= 20 && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" } }) else {
            throw ServiceError.invalid("symbols", "symbols are letters, digits, '.' or '-', at most 20 characters")
        }
        let start = try Self.day(from, field: "from"), end = try Self.day(to, field: "to")
        guard start < end else { throw ServiceError.invalid("from", "from must be before to") }
        guard start >= Self.earliestDay else { throw ServiceError.invalid("from", "from must be 1900-01-01 or later") }
        guard end <= today.addingTimeInterval(86_400) else {
            throw ServiceError.invalid("to", "to must not be after today (\(CivilDay(today).description)): no bars exist after it")
        }
        let horizon = horizonDays ?? 20
        guard (1...120).contains(horizon) else { throw ServiceError.invalid("horizon_days", "horizon_days must be between 1 and 120") }
        var training = PredictorTraining(kind: kind)
        for (key, value) in (params ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard value.isFinite else { throw ServiceError.invalid("params.\(key)", "params.\(key) must be a finite number") }
            switch (kind, key) {
            case (.ridge, "lambda"):
                guard value > 0 && value <= 1e6 else { throw ServiceError.invalid("params.lambda", "params.lambda must be in (0, 1e6]") }
                training.ridgeLambdas = [value / 10, value, value * 10]
            case (.gbdt, _) where Self.gbdtParameters.contains(key):
                try Self.set(key, value, on: &training.gbdt)
            default:
                let allowed = kind == .ridge ? "lambda" : Self.gbdtParameters.sorted().joined(separator: ", ")
                throw ServiceError.invalid("params.\(key)", "\(key) is not a \(kind.rawValue) parameter (allowed: \(allowed))")
            }
        }
        let seed = seed ?? 1
        guard seed >= 0 else { throw ServiceError.invalid("seed", "seed must be 0 or more") }
        training.gbdt.seed = UInt64(seed)
        do {
            training.gbdt = try training.gbdt.validated()
        } catch let invalid as GBDTParameters.Invalid {
            throw ServiceError.invalid("params.\(invalid.field)", "params.\(invalid.message)")
        }
        return MLTrainingPlan(training: training, symbols: names, from: start, to: end.addingTimeInterval(86_399), horizonDays: horizon, seed: seed)
    }

    static func set(_ key: String, _ value: Double, on parameters: inout GBDTParameters) throws {
        func integer() throws -> Int {
            guard value.rounded() == value, abs(value) < 1e9 else { throw ServiceError.invalid("params.\(key)", "params.\(key) must be a whole number") }
            return Int(value)
        }
        switch key {
        case "trees": parameters.trees = try integer()
        case "learning_rate": parameters.learningRate = value
        case "max_depth": parameters.maxDepth = try integer()
        case "max_leaves": parameters.maxLeaves = try integer()
        case "max_bins": parameters.maxBins = try integer()
        case "min_samples_per_leaf": parameters.minSamplesPerLeaf = try integer()
        case "l2": parameters.l2 = value
        case "min_split_gain": parameters.minSplitGain = value
        case "row_subsample": parameters.rowSubsample = value
        case "early_stopping_rounds": parameters.earlyStoppingRounds = try integer()
        default: break
        }
    }

    static func day(_ text: String?, field: String) throws -> Date {
        guard let text, !text.isEmpty else { throw ServiceError.invalid(field, "\(field) is required (YYYY-MM-DD)") }
        return try FieldValidation.day(text, field: field).date
    }
}

/// A validated training: what the job runs and what the model row records.
public struct MLTrainingPlan: Sendable, Codable, Hashable {
    public var training: PredictorTraining
    public var symbols: [String]
    public var from: Date
    public var to: Date
    public var horizonDays: Int
    public var seed: Int64
}
