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
        let records = try await req.keel.jobs.list(kind: kind, status: nil, limit: 200, by: principal)
        let model = JobsModel(viewer: viewer, jobs: records.map {
            .init(jobID: $0.jobID, kind: $0.kind, status: $0.status.rawValue, progress: $0.progress, message: $0.progressMessage, attempts: $0.attempts,
                  maxAttempts: $0.maxAttempts, createdAt: $0.createdAt, finishedAt: $0.finishedAt, error: $0.error)
        }, kind: kind)
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
