import Foundation
import KeelML
import KeelServices
import KeelStore
import KeelWeb
import Vapor

/// The workspace's models page: versions, one version's evaluation, deploy and rollback behind a confirmation
/// step, the deployment history, and training (staff). A version being trained shows its job's progress.
struct WorkspaceModelsController: RouteCollection {
    struct TrainingFormBody: Content {
        var modelType: String?
        var portfolioId: String?
        var symbols: String?
        var from: String?
        var to: String?
        var horizonDays: String?

        enum CodingKeys: String, CodingKey { case modelType = "model_type", portfolioId = "portfolio_id", symbols, from, to, horizonDays = "horizon_days" }
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get("models", use: page).openAPI("Model versions, one version's walk-forward evaluation, deployments, training (staff)", response: .html)
        routes.post("models", "train", use: train)
            .openAPI("Start training (form post): the version's page, or the form again with each error beside its field", response: .html, redirect: .seeOther)
        routes.post("models", ":model_id", "deploy", use: deploy).openAPI("Deploy a version (form post, after confirmation): back to the models page", status: .seeOther, response: .redirect)
        routes.post("models", "rollback", use: rollback).openAPI("Roll a family back (form post, after confirmation): back to the models page", status: .seeOther, response: .redirect)
    }

    static let messages: [String: String] = [
        "deployed": "The version is deployed.", "rolled_back": "The family was rolled back.", "training": "Training started: its progress is shown below.",
        "gate_failed": "That version did not pass the gate: deploying it needs an admin and a reason.", "forbidden": "Only an admin can deploy past a failed gate.",
        "model_not_deployable": "Only a trained or retired version can be deployed.", "nothing_to_roll_back": "There is no earlier version to roll back to.",
        "not_found": "There is no such version.",
    ]

    func page(req: Request) async throws -> Response {
        // The form starts on the whole stored history of the benchmark: a range training can use as it is.
        let symbol = req.keel.context.settings.cycle.regimeSymbol
        let bounds = try await req.keel.context.database.read { try await $0.marketBars.bounds(symbol: symbol, interval: "1d") }
        return try await render(req, form: ModelsModel.TrainingForm(portfolioID: "1", from: bounds.map { Format.day($0.first.timestamp) } ?? "",
                                                                    to: bounds.map { Format.day($0.last.timestamp) } ?? ""))
    }

    func render(_ req: Request, form: ModelsModel.TrainingForm) async throws -> Response {
        let (principal, viewer) = try WebSession.viewer(req)
        guard principal.role.isStaff else {
            return WebSession.page(NoticePage.render(viewer: viewer, title: "Models", message: "The model registry is for advisors."))
        }
        let keel = req.keel
        let records = try await keel.models.list(family: nil, status: nil, limit: 200, by: principal)
        let deployments = try await keel.models.deployments(family: nil, limit: 50, by: principal)
        let portfolios = try await keel.context.database.read { try await $0.referenceData.modelPortfolios() }
        let versions = Dictionary(records.map { ($0.modelID, $0.version) }, uniquingKeysWith: { first, _ in first })
        let wanted = try? req.query.get(String.self, at: "model")
        let chosen = records.first { $0.modelID == wanted }
        var training: ModelsModel.Training?
        // The chosen version's training job, while it trains or when it failed (its error is the reason).
        if let chosen, chosen.status == .training || chosen.status == .failed, let jobID = chosen.trainingJobID,
           let job = try? await keel.jobs.get(jobID, by: principal) {
            training = .init(jobID: job.jobID, modelID: chosen.modelID, status: job.status.rawValue, progress: job.progress, message: job.progressMessage, error: job.error)
        }
        var confirmation: ModelsModel.Confirmation?
        switch try? req.query.get(String.self, at: "confirm") {
        case "deploy": confirmation = chosen.map { .deploy(modelID: $0.modelID, version: $0.version, gatePassed: $0.gatePassed == true) }
        case "rollback":
            let family = try? req.query.get(String.self, at: "family")
            confirmation = family.flatMap { ModelFamily(rawValue: $0) }.map { .rollback(family: $0.rawValue) }
        default: break
        }
        var trials: TrialSummary?
        if let chosen { trials = try await keel.models.trials(of: chosen.modelID, by: principal) }
        let model = ModelsModel(
            viewer: viewer, versions: records.map(Self.version), selected: chosen.map { Self.detail($0, trials: trials) },
            deployed: Dictionary(records.filter { $0.status == .deployed }.map { ($0.family.rawValue, $0.version) }, uniquingKeysWith: { first, _ in first }),
            deployments: deployments.map { .init(family: $0.family.rawValue, version: versions[$0.modelID] ?? $0.modelID,
                                                 previousVersion: $0.previousModelID.map { versions[$0] ?? $0 }, action: $0.action, reason: $0.reason,
                                                 by: $0.deployedBy, at: $0.deployedAt) },
            training: training, portfolios: portfolios.map { ($0.id, $0.name) }, form: form, confirmation: confirmation,
            canOverride: principal.role == .admin,
            notice: (try? req.query.get(String.self, at: "done")).flatMap { Self.messages[$0] },
            error: (try? req.query.get(String.self, at: "error")).map { Self.messages[$0] ?? "The action failed." })
        return WebSession.page(ModelsPage.render(model))
    }

    static func version(_ record: MLModelRecord) -> ModelsModel.Version {
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

    static func detail(_ record: MLModelRecord, trials: TrialSummary? = nil) -> ModelsModel.Detail {
        func figures(_ name: String, _ figures: PortfolioFigures) -> ModelsModel.Figures {
            .init(name: name, sharpe: figures.sharpe, cagr: figures.cagr, maxDrawdown: figures.maxDrawdown, turnover: figures.turnover)
        }
        var windows: [(date: Date, model: Double, momentum: Double)] = []
        var table: [ModelsModel.Figures] = []
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

    func train(req: Request) async throws -> Response {
        let principal = try req.principal
        let body = (try? req.content.decode(TrainingFormBody.self)) ?? TrainingFormBody()
        var form = ModelsModel.TrainingForm(modelType: String((body.modelType ?? "ridge").prefix(20)), portfolioID: String((body.portfolioId ?? "").prefix(12)),
                                            symbols: String((body.symbols ?? "").prefix(2_000)), from: String((body.from ?? "").prefix(20)),
                                            to: String((body.to ?? "").prefix(20)), horizonDays: String((body.horizonDays ?? "").prefix(12)))
        let symbols = form.symbols.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.filter { !$0.isEmpty }
        var portfolioID: Int?
        if !form.portfolioID.isEmpty {
            guard let id = Int(form.portfolioID) else { form.errors["portfolio_id"] = "Choose one of the model portfolios."; return try await render(req, form: form) }
            portfolioID = id
        }
        let horizon = form.horizonDays.trimmingCharacters(in: .whitespaces)
        guard horizon.isEmpty || Int(horizon) != nil else {
            form.errors["horizon_days"] = "horizon_days must be a whole number of trading days"
            return try await render(req, form: form)
        }
        do {
            let from = form.from.isEmpty ? nil : form.from, to = form.to.isEmpty ? nil : form.to, universe = portfolioID == nil ? symbols : nil
            let submitted: ModelTrainingService.Submitted
            if form.modelType == "rl_policy" {
                // The RL policy's horizon is one of its parameters.
                let request = RLTrainingRequest(symbols: universe, portfolioId: portfolioID, from: from, to: to,
                                                params: Int(horizon).map { ["horizon_days": Double($0)] })
                submitted = try await req.keel.training.submit(request, by: principal, jobs: req.keel.jobs)
            } else {
                let request = MLTrainingRequest(modelType: form.modelType, symbols: universe, portfolioId: portfolioID, from: from, to: to, horizonDays: Int(horizon))
                submitted = try await req.keel.training.submit(request, by: principal, jobs: req.keel.jobs)
            }
            return req.redirect(to: "/app/models?model=\(submitted.modelID)&done=training", redirectType: .normal)
        } catch let error as ServiceError {
            if let field = error.field { form.errors[field] = error.message } else { form.message = error.message }
            return try await render(req, form: form)
        }
    }

    func deploy(req: Request) async throws -> Response {
        let principal = try req.principal
        let modelID = try req.parameters.require("model_id")
        let reason = try? req.content.get(String.self, at: "override_reason")
        do {
            _ = try await req.keel.models.deploy(modelID, overrideReason: reason, by: principal)
            return req.redirect(to: "/app/models?model=\(modelID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&done=deployed", redirectType: .normal)
        } catch let error as ServiceError {
            return req.redirect(to: "/app/models?error=\(Self.messages[error.code] == nil ? "failed" : error.code)", redirectType: .normal)
        }
    }

    func rollback(req: Request) async throws -> Response {
        let principal = try req.principal
        do {
            _ = try await req.keel.models.rollback(family: try? req.content.get(String.self, at: "family"), by: principal)
            return req.redirect(to: "/app/models?done=rolled_back", redirectType: .normal)
        } catch let error as ServiceError {
            return req.redirect(to: "/app/models?error=\(Self.messages[error.code] == nil ? "failed" : error.code)", redirectType: .normal)
        }
    }
}
