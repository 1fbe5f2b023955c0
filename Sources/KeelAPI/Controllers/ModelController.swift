import KeelServices
import KeelStore
import Vapor

/// Training, the model registry, deploy and rollback.
struct ModelController: RouteCollection {
    let models: ModelRegistryService
    let training: ModelTrainingService
    let jobs: JobService

    func boot(routes: any RoutesBuilder) throws {
        routes.post("rl", "train", use: trainRL)
            .openAPI("Train an RL allocation policy as a job (staff)", body: RLTrainBody.self, example: APIExamples.rlTraining,
                     status: .accepted, response: .json(TrainingSubmittedResponse.self))
        let models = routes.grouped("ml-models")
        models.post("train", use: train)
            .openAPI("Train an ML predictor (ridge or gbdt) as a job (staff)", body: MLTrainBody.self, example: APIExamples.training,
                     status: .accepted, response: .json(TrainingSubmittedResponse.self))
        models.get(use: list).openAPI("Model versions, newest first (staff)", query: [
            .choice("family", "only this family", ModelFamily.self), .choice("status", "only versions in this status", ModelStatus.self),
            .limit(default: 100, max: 500)])
        models.get("deployments", use: deployments).openAPI("Deployment history, newest first (staff)", query: [
            .choice("family", "only this family", ModelFamily.self), .limit(default: 100, max: 500)])
        models.post("rollback", use: rollback).openAPI("Deploy again the version the family's last deployment replaced (staff)", body: RollbackBody.self)
        models.get(":model_id", use: get).openAPI("A version: parameters, evaluation with baselines, gate and lineage (staff)")
        models.post(":model_id", "shadow", use: shadow)
            .openAPI("Run a trained ML version in shadow (its predictions stored beside the deployed one's), or stop it (staff)", body: ShadowBody.self)
        models.get(":model_id", "predictions", use: predictions)
            .openAPI("What a version predicted, served or in shadow, newest first (staff)", query: [.limit(default: 200, max: 5000)])
        models.get(":model_id", "shadow-comparison", use: shadowComparison)
            .openAPI("A shadow version against what was served at the same times, by the returns that followed (staff)")
        models.post(":model_id", "deploy", use: deploy)
            .openAPI("Deploy a version that passed the gate; an admin may override a failed gate with a reason", body: DeployBody.self)
    }

    func train(req: Request) async throws -> Response {
        let body = try req.decodeBody(MLTrainBody.self)
        let submitted = try await training.submit(body.request, by: req.principal, jobs: jobs)
        return try await TrainingSubmittedResponse(jobId: submitted.jobID, modelId: submitted.modelID, version: submitted.version)
            .encodeResponse(status: .accepted, for: req)
    }

    func trainRL(req: Request) async throws -> Response {
        let body = try req.decodeBody(RLTrainBody.self)
        let submitted = try await training.submit(body.request, by: req.principal, jobs: jobs)
        return try await TrainingSubmittedResponse(jobId: submitted.jobID, modelId: submitted.modelID, version: submitted.version)
            .encodeResponse(status: .accepted, for: req)
    }

    func list(req: Request) async throws -> [ModelResponse] {
        try await models.list(family: try req.query.get(String?.self, at: "family"), status: try req.query.get(String?.self, at: "status"),
                                       limit: try req.query.get(Int?.self, at: "limit"), by: req.principal).map { ModelResponse($0) }
    }

    func get(req: Request) async throws -> ModelResponse {
        let modelID = try req.parameters.require("model_id")
        return ModelResponse(try await models.get(modelID, by: req.principal), trials: try await models.trials(of: modelID, by: req.principal))
    }

    func deploy(req: Request) async throws -> ModelResponse {
        let body = req.body.data == nil ? DeployBody() : try req.decodeBody(DeployBody.self)
        return ModelResponse(try await models.deploy(try req.parameters.require("model_id"), overrideReason: body.overrideReason, by: req.principal))
    }

    func shadow(req: Request) async throws -> ModelResponse {
        let body = try req.decodeBody(ShadowBody.self)
        return ModelResponse(try await models.setShadow(try req.parameters.require("model_id"), enabled: body.enabled, by: req.principal))
    }

    func predictions(req: Request) async throws -> [StoredPredictionResponse] {
        try await models.predictions(try req.parameters.require("model_id"), limit: try req.query.get(Int?.self, at: "limit"), by: req.principal)
            .map(StoredPredictionResponse.init)
    }

    func shadowComparison(req: Request) async throws -> ShadowComparisonResponse {
        ShadowComparisonResponse(try await models.shadowComparison(try req.parameters.require("model_id"), by: req.principal))
    }

    func rollback(req: Request) async throws -> ModelResponse {
        let body = try req.decodeBody(RollbackBody.self)
        return ModelResponse(try await models.rollback(family: body.family, by: req.principal))
    }

    func deployments(req: Request) async throws -> [DeploymentResponse] {
        try await models.deployments(family: try req.query.get(String?.self, at: "family"), limit: try req.query.get(Int?.self, at: "limit"),
                                              by: req.principal).map(DeploymentResponse.init)
    }
}
