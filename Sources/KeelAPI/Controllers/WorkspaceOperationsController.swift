import Foundation
import KeelServices
import KeelStore
import KeelWeb
import Vapor

/// The workspace's operations pages: background jobs and alerts with their webhook deliveries (staff).
struct WorkspaceOperationsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("jobs", use: jobs).openAPI("Background jobs: status, progress, attempts (staff; refreshes while jobs run)", response: .html)
        routes.get("alerts", use: alerts).openAPI("Alerts, open first, and their webhook deliveries (staff)", response: .html)
    }

    func jobs(req: Request) async throws -> Response {
        let (principal, viewer) = try WebSession.viewer(req)
        guard principal.role.isStaff else {
            return WebSession.page(NoticePage.render(viewer: viewer, title: "Jobs", message: "The job queue is for advisors."))
        }
        let kind = (try? req.query.get(String.self, at: "kind")).flatMap { req.keel.jobs.kinds.contains($0) ? $0 : nil }
        let records = try await req.keel.jobs.list(kind: kind, status: nil, limit: 500, by: principal)
        func job(_ record: JobRecord) -> JobsModel.Job {
            .init(jobID: record.jobID, kind: record.kind, status: record.status.rawValue, progress: record.progress, message: record.progressMessage,
                  attempts: record.attempts, maxAttempts: record.maxAttempts, createdAt: record.createdAt, finishedAt: record.finishedAt, error: record.error)
        }
        // Newest first: each duty's latest finished run, or its next run when none has finished yet.
        var latestDuty: [String: JobRecord] = [:]
        for record in records where record.kind.hasPrefix("duty.") {
            if latestDuty[record.kind] == nil || (latestDuty[record.kind]?.finishedAt == nil && record.finishedAt != nil) { latestDuty[record.kind] = record }
        }
        let model = JobsModel(viewer: viewer, jobs: records.filter { !$0.kind.hasPrefix("duty.") }.prefix(200).map(job),
                              duties: latestDuty.values.sorted { $0.kind < $1.kind }.map(job), kind: kind)
        return WebSession.page(JobsPage.render(model))
    }

    func alerts(req: Request) async throws -> Response {
        let (principal, viewer) = try WebSession.viewer(req)
        guard principal.role.isStaff else {
            return WebSession.page(NoticePage.render(viewer: viewer, title: "Alerts", message: "The alert list is for advisors."))
        }
        let (alerts, deliveries) = try await req.keel.context.database.read { session in
            (try await session.alerts.list(clientID: nil, openOnly: false), try await session.webhookDeliveries.list(alertID: nil))
        }
        let sorted = alerts.sorted { ($0.resolvedAt == nil ? 0 : 1, -$0.createdAt.timeIntervalSince1970) < ($1.resolvedAt == nil ? 0 : 1, -$1.createdAt.timeIntervalSince1970) }
        let model = AlertsModel(viewer: viewer, alerts: sorted.prefix(300).map {
            .init(alertID: $0.alertID, kind: $0.kind, severity: $0.severity, message: $0.message, clientID: $0.clientID, createdAt: $0.createdAt, resolvedAt: $0.resolvedAt)
        }, deliveries: deliveries.prefix(200).map {
            .init(alertID: $0.alertID, url: $0.url, status: $0.status, attempts: $0.attempts, lastStatusCode: $0.lastStatusCode, lastError: $0.lastError)
        })
        return WebSession.page(AlertsPage.render(model))
    }
}
