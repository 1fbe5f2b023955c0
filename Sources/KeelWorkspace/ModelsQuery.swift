import Foundation
import KeelML
import KeelServices
import KeelStore
import KeelWeb

/// The models page (staff): versions, one version's evaluation with the gate's evidence, deploy and rollback
/// behind a confirmation step, the deployment history, training and a version's training progress.
public struct ModelsQuery: Sendable {
    let context: ServiceContext
    let models: ModelRegistryService
    let jobs: JobService

    public init(context: ServiceContext, models: ModelRegistryService, jobs: JobService) {
        self.context = context
        self.models = models
        self.jobs = jobs
    }

    /// What a confirmation link asks for: `confirm=deploy` of the chosen version or `confirm=rollback&family=`.
    public struct Confirm: Sendable {
        public var action: String?
        public var family: String?

        public init(action: String?, family: String?) {
            self.action = action
            self.family = family
        }
    }

    /// The training form as it starts: the whole stored history of the benchmark, a range training can use as it is.
    public func blankForm() async throws -> ModelsPage.Model.TrainingForm {
        let symbol = context.settings.cycle.regimeSymbol
        let bounds = try await context.database.read { try await $0.marketBars.bounds(symbol: symbol, interval: "1d") }
        return ModelsPage.Model.TrainingForm(portfolioID: "1", from: bounds.map { Format.day($0.first.timestamp) } ?? "",
                                        to: bounds.map { Format.day($0.last.timestamp) } ?? "")
    }

    public func load(model wanted: String?, confirm: Confirm, form: ModelsPage.Model.TrainingForm?, done: String?, error: String?,
                     for reader: PageViewer) async throws -> PageOutcome<ModelsPage.Model> {
        guard reader.isStaff else { return .staffOnly("Models", "The model registry is for advisors.") }
        let principal = reader.principal
        let records = try await models.list(family: nil, status: nil, limit: 200, by: principal)
        let deployments = try await models.deployments(family: nil, limit: 50, by: principal)
        let portfolios = try await context.database.read { try await $0.referenceData.modelPortfolios() }
        let versions = Dictionary(records.map { ($0.modelID, $0.version) }, uniquingKeysWith: { first, _ in first })
        let chosen = records.first { $0.modelID == wanted }
        var training: ModelsPage.Model.Training?
        // The chosen version's training job, while it trains or when it failed (its error is the reason).
        if let chosen, chosen.status == .training || chosen.status == .failed, let jobID = chosen.trainingJobID,
           let job = try? await jobs.get(jobID, by: principal) {
            training = .init(jobID: job.jobID, modelID: chosen.modelID, status: job.status.rawValue, progress: job.progress, message: job.progressMessage, error: job.error)
        }
        var confirmation: ModelsPage.Model.Confirmation?
        switch confirm.action {
        case "deploy": confirmation = chosen.map { .deploy(modelID: $0.modelID, version: $0.version, gatePassed: $0.gatePassed == true) }
        case "rollback": confirmation = confirm.family.flatMap { ModelFamily(rawValue: $0) }.map { .rollback(family: $0.rawValue) }
        default: break
        }
        var trials: TrialSummary?
        if let chosen { trials = try await models.trials(of: chosen.modelID, by: principal) }
        return .page(ModelsPage.Model(
            viewer: reader.viewer, versions: records.map(Self.version), selected: chosen.map { Self.detail($0, trials: trials) },
            deployed: Dictionary(records.filter { $0.status == .deployed }.map { ($0.family.rawValue, $0.version) }, uniquingKeysWith: { first, _ in first }),
            deployments: deployments.map { .init(family: $0.family.rawValue, version: versions[$0.modelID] ?? $0.modelID,
                                                 previousVersion: $0.previousModelID.map { versions[$0] ?? $0 }, action: $0.action, reason: $0.reason,
                                                 by: $0.deployedBy, at: $0.deployedAt) },
            training: training, portfolios: portfolios.map { ($0.id, $0.name) }, form: try await form.asyncDefault { try await blankForm() },
            confirmation: confirmation, canOverride: principal.role == .admin,
            notice: done.flatMap { ModelsPage.messages[$0] }, error: error.map { ModelsPage.messages[$0] ?? "The action failed." }))
    }

    static func version(_ record: MLModelRecord) -> ModelsPage.Model.Version {
        var sharpe: Double?, rankIC: Double?
        if record.family == .ml, let report = record.metrics.flatMap({ try? StoredJSON.decode(EvaluationReport.self, $0) }) {
            sharpe = report.portfolio.sharpe
            rankIC = report.overall.meanRankIC
        } else if record.family == .rl, let report = record.metrics.flatMap({ try? StoredJSON.decode(PolicyReport.self, $0) }) {
            sharpe = report.portfolio.sharpe
            rankIC = report.scoreMetrics.meanRankIC
        }
        return .init(modelID: record.modelID, family: record.family.rawValue, modelType: record.modelType, version: record.version, status: record.status.rawValue,
                     gatePassed: record.gatePassed, shadow: record.shadow, createdAt: record.createdAt,
                     sharpe: sharpe.flatMap { $0.isFinite ? $0 : nil }, rankIC: rankIC.flatMap { $0.isFinite ? $0 : nil })
    }

    /// The evidence behind the verdict, as the gate applied it: trials, corrected thresholds, holdout.
    static func gateEvidence(thresholds: GateThresholds?, rankIC: PredictionMetrics?, holdout: HoldoutReport?, trials: TrialSummary?,
                             rules: GateRules) -> [(label: String, value: String)] {
        var rows: [(label: String, value: String)] = []
        if let trials {
            rows.append(("Trials on this data", "this version is trial \(trials.number); \(trials.onSameData) so far on the same family, universe and dates"))
        }
        guard let thresholds else { return rows }
        if let rankIC {
            rows.append(("Rank IC", String(format: "mean %.4f, t %.2f (Newey-West, %d lags; plain t %.2f) against %.2f required for trial %d",
                                           rankIC.meanRankIC, rankIC.rankICTStat, thresholds.rankICLags, rankIC.rankICPlainTStat ?? 0,
                                           thresholds.rankICTStat, thresholds.trials)))
        }
        if thresholds.windows > 0 {
            rows.append(("Consistency", "\(thresholds.positiveWindows) of \(thresholds.windows) test windows with a positive rank IC (more than half needed)"))
        }
        rows.append(("Deflated Sharpe", String(format: "%.3f (at least %.2f): per-day Sharpe over the best baseline %.4f against %.4f expected from the best of %d noise trials",
                                               thresholds.deflatedSharpe, thresholds.minimumDeflatedSharpe, thresholds.activeSharpe,
                                               thresholds.expectedMaximumSharpe, thresholds.trials)))
        if let holdout {
            let best = holdout.baselines.max { $0.value.sharpe < $1.value.sharpe }
            rows.append(("Holdout, scored once", String(format: "%@ to %@: rank IC %.4f (must be positive), Sharpe %.2f vs best baseline %@ %.2f",
                                                        Format.day(holdout.from), Format.day(holdout.to), holdout.metrics.meanRankIC, holdout.portfolio.sharpe,
                                                        best?.key ?? "-", best?.value.sharpe ?? 0)))
        } else {
            rows.append(("Holdout", String(format: "none: the most recent %.0f%% of the labelled days are held out of every training choice", rules.holdoutFraction * 100)))
        }
        return rows
    }

    static func detail(_ record: MLModelRecord, trials: TrialSummary? = nil) -> ModelsPage.Model.Detail {
        func figures(_ name: String, _ figures: PortfolioFigures) -> ModelsPage.Model.Figures {
            .init(name: name, sharpe: figures.sharpe, cagr: figures.cagr, maxDrawdown: figures.maxDrawdown, turnover: figures.turnover)
        }
        var windows: [(date: Date, model: Double, momentum: Double)] = []
        var table: [ModelsPage.Model.Figures] = []
        var evidence: [(label: String, value: String)] = trials.map { gateEvidence(thresholds: nil, rankIC: nil, holdout: nil, trials: $0, rules: GateRules()) } ?? []
        if record.family == .ml, let report = record.metrics.flatMap({ try? StoredJSON.decode(EvaluationReport.self, $0) }) {
            evidence = gateEvidence(thresholds: report.thresholds, rankIC: report.overall, holdout: report.holdout, trials: trials, rules: report.rules)
            windows = report.windows.map { ($0.testTo, $0.model.meanRankIC, $0.momentumBaseline.meanRankIC) }
            table = [figures("model, as traded live", report.portfolio)] + report.baselines.sorted { $0.key < $1.key }.map { figures($0.key, $0.value) }
                + (report.topK.map { [figures("model top names, equal weight (diagnostic)", $0)] } ?? [])
            if let fills = report.fills { evidence.append(("Fills", fills)) }
        } else if record.family == .rl, let report = record.metrics.flatMap({ try? StoredJSON.decode(PolicyReport.self, $0) }) {
            evidence = gateEvidence(thresholds: report.thresholds, rankIC: report.scoreMetrics, holdout: nil, trials: trials, rules: report.rules)
            table = [figures("policy", report.portfolio)] + report.baselines.sorted { $0.key < $1.key }.map { figures($0.key, $0.value) }
        }
        let gate = record.gate.flatMap { try? StoredJSON.decode(GateVerdict.self, $0) }
        return .init(version: version(record), symbols: (try? StoredJSON.decode([String].self, record.symbols)) ?? [], dataFrom: record.dataFrom,
                     dataTo: record.dataTo, horizonDays: record.horizonDays, gateReasons: gate?.reasons ?? [], gateEvidence: evidence,
                     windowIC: windows.filter { $0.model.isFinite && $0.momentum.isFinite },
                     figures: table.filter { [$0.sharpe, $0.cagr, $0.maxDrawdown, $0.turnover].allSatisfy(\.isFinite) }, error: record.error)
    }
}

extension Optional {
    /// The value, or one computed only when there is none.
    func asyncDefault(_ make: () async throws -> Wrapped) async rethrows -> Wrapped {
        if let value = self { return value }
        return try await make()
    }
}
