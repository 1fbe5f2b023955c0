import Foundation
import KeelStore

/// Backtests run as jobs: submitted, run in the background, stored with their outcome and report.
public struct BacktestJobs: Sendable {
    let context: ServiceContext
    let runner: BacktestRunner

    public init(context: ServiceContext) {
        self.context = context
        self.runner = BacktestRunner(context: context)
    }

    /// Stores the job and starts it; returns its id at once.
    public func submit(_ request: BacktestRequest, by principal: Principal) async throws -> String {
        try principal.ensureStaff()
        let request = try request.validated()
        let id = UUID().uuidString.lowercased()
        let encoded = String(decoding: try BacktestOutcome.encoder.encode(request), as: UTF8.self)
        let now = context.clock.now()
        try await context.database.write { try await $0.backtests.create(id: id, request: encoded, by: principal.userID, at: now) }
        let jobs = self
        Task.detached { await jobs.execute(id: id, request: request) }
        return id
    }

    /// Runs a stored job to its end; failures are kept on the job, never thrown into the void.
    func execute(id: String, request: BacktestRequest) async {
        var result: String?, report: String?, failure: String?
        do {
            let outcome = try await runner.run(request)
            result = String(decoding: try BacktestOutcome.encoder.encode(outcome), as: UTF8.self)
            report = BacktestReport.html(outcome)
        } catch let error as ServiceError {
            failure = error.message
        } catch {
            failure = String(describing: error)
        }
        let now = context.clock.now()
        let (r, h, f) = (result, report, failure)
        do {
            try await context.database.write { try await $0.backtests.finish(id: id, result: r, report: h, error: f, at: now) }
        } catch {
            context.logger.error("backtest \(id) finished but could not be stored: \(error)")
        }
    }

    public func get(_ id: String, by principal: Principal) async throws -> BacktestRecord {
        try principal.ensureStaff()
        guard let record = try await context.database.read({ try await $0.backtests.find(id) }) else {
            throw ServiceError.notFound("backtest \(id)", field: "backtest_id")
        }
        return record
    }
}
