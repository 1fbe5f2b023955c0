import Foundation
import KeelML
import KeelServices
import KeelStore
import KeelWeb
import KeelWorkspace
import Vapor

/// The workspace's models page: versions, one version's evaluation, deploy and rollback behind a confirmation
/// step, the deployment history, and training (staff). A version being trained shows its job's progress.
struct WorkspaceModelsController: RouteCollection {
    let query: ModelsQuery
    let models: ModelRegistryService
    let training: ModelTrainingService
    let jobs: JobService
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
        routes.on(.GET, .models, use: page).openAPI("Model versions, one version's walk-forward evaluation, deployments, training (staff)", response: .html)
        routes.on(.POST, .trainModel, use: train)
            .openAPI("Start training (form post): the version's page, or the form again with each error beside its field", response: .html, redirect: .seeOther)
        routes.on(.POST, WorkspaceRoute.deployModel, use: deploy).openAPI("Deploy a version (form post, after confirmation): back to the models page", status: .seeOther, response: .redirect)
        routes.on(.POST, .rollbackModel, use: rollback).openAPI("Roll a family back (form post, after confirmation): back to the models page", status: .seeOther, response: .redirect)
    }

    func page(req: Request) async throws -> Response {
        try await render(req, form: nil)
    }

    /// The page; `form` carries what was typed when training was refused (nil: the form as it starts).
    func render(_ req: Request, form: ModelsPage.Model.TrainingForm?) async throws -> Response {
        let reader = try req.pageViewer
        return try await query.load(model: req.queryText("model"), confirm: .init(action: req.queryText("confirm"), family: req.queryText("family")),
                                    form: form, done: req.queryText("done"), error: req.queryText("error"), for: reader)
            .response(req, viewer: reader.viewer, ModelsPage.render)
    }

    func train(req: Request) async throws -> Response {
        let principal = try req.principal
        let body = (try? req.content.decode(TrainingFormBody.self)) ?? TrainingFormBody()
        var form = ModelsPage.Model.TrainingForm(modelType: String((body.modelType ?? "ridge").prefix(20)), portfolioID: String((body.portfolioId ?? "").prefix(12)),
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
                submitted = try await training.submit(request, by: principal, jobs: jobs)
            } else {
                let request = MLTrainingRequest(modelType: form.modelType, symbols: universe, portfolioId: portfolioID, from: from, to: to, horizonDays: Int(horizon))
                submitted = try await training.submit(request, by: principal, jobs: jobs)
            }
            return req.redirect(to: .models, ["model": submitted.modelID, "done": "training"])
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
            _ = try await models.deploy(modelID, overrideReason: reason, by: principal)
            return req.redirect(to: .models, ["model": modelID, "done": "deployed"])
        } catch let error as ServiceError {
            return Self.failed(req, error)
        }
    }

    func rollback(req: Request) async throws -> Response {
        let principal = try req.principal
        do {
            _ = try await models.rollback(family: try? req.content.get(String.self, at: "family"), by: principal)
            return req.redirect(to: .models, ["done": "rolled_back"])
        } catch let error as ServiceError {
            return Self.failed(req, error)
        }
    }

    /// Back to the page with the error's own text when the page has one.
    static func failed(_ req: Request, _ error: ServiceError) -> Response {
        req.redirect(to: .models, ["error": ModelsPage.messages[error.code] == nil ? "failed" : error.code])
    }
}
