import Foundation
import KeelServices
import KeelStore
import Vapor

/// Background jobs: list (by kind and status), show (progress, result or error), cancel.
struct JobController: RouteCollection {
    let jobs: JobService

    func boot(routes: any RoutesBuilder) throws {
        routes.get("jobs", use: list).openAPI("Jobs, newest first (staff)", query: [.string("kind", "only this kind"), .choice("status", "only jobs in this status", JobStatus.self), .limit(default: 100, max: 1000)])
        routes.get("jobs", ":job_id", use: get).openAPI("A job: status, progress, result or error")
        routes.post("jobs", ":job_id", "cancel", use: cancel).openAPI("Cancel a queued or running job")
    }

    func list(req: Request) async throws -> [JobResponse] {
        let jobs = try await jobs.list(kind: try req.query.get(String?.self, at: "kind"), status: try req.query.get(String?.self, at: "status"),
                                                limit: try req.query.get(Int?.self, at: "limit"), by: req.principal)
        return jobs.map(JobResponse.init)
    }

    func get(req: Request) async throws -> JobResponse {
        JobResponse(try await jobs.get(try req.parameters.require("job_id"), by: req.principal))
    }

    func cancel(req: Request) async throws -> JobResponse {
        JobResponse(try await jobs.cancel(try req.parameters.require("job_id"), by: req.principal))
    }
}
