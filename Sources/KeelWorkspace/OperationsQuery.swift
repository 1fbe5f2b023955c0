import Foundation
import KeelServices
import KeelStore
import KeelWeb

/// The operations pages (staff): background jobs and duties, and alerts with their webhook deliveries.
public struct OperationsQuery: Sendable {
    let jobs: JobService
    let alerts: AlertQueries

    public init(jobs: JobService, alerts: AlertQueries) {
        self.jobs = jobs
        self.alerts = alerts
    }

    public func jobs(kind wanted: String?, for reader: PageViewer) async throws -> PageOutcome<JobsPage.Model> {
        guard reader.isStaff else { return .staffOnly("Jobs", "The job queue is for advisors.") }
        let kind = wanted.flatMap { jobs.kinds.contains($0) ? $0 : nil }
        let records = try await jobs.list(kind: kind, status: nil, limit: 500, by: reader.principal)
        func job(_ record: JobRecord) -> JobsPage.Model.Job {
            .init(jobID: record.jobID, kind: record.kind, status: record.status.rawValue, progress: record.progress, message: record.progressMessage,
                  attempts: record.attempts, maxAttempts: record.maxAttempts, createdAt: record.createdAt, finishedAt: record.finishedAt, error: record.error)
        }
        // Newest first: each duty's latest finished run, or its next run when none has finished yet.
        var latestDuty: [String: JobRecord] = [:]
        for record in records where record.kind.hasPrefix("duty.") {
            if latestDuty[record.kind] == nil || (latestDuty[record.kind]?.finishedAt == nil && record.finishedAt != nil) { latestDuty[record.kind] = record }
        }
        return .page(JobsPage.Model(viewer: reader.viewer, jobs: records.filter { !$0.kind.hasPrefix("duty.") }.prefix(200).map(job),
                               duties: latestDuty.values.sorted { $0.kind < $1.kind }.map(job), kind: kind))
    }

    public func alerts(for reader: PageViewer) async throws -> PageOutcome<AlertsPage.Model> {
        guard reader.isStaff else { return .staffOnly("Alerts", "The alert list is for advisors.") }
        let all = try await alerts.list(clientID: nil, userID: nil, goalID: nil, openOnly: false, by: reader.principal)
        let deliveries = try await alerts.deliveries(alertID: nil, by: reader.principal)
        let sorted = all.sorted { ($0.resolvedAt == nil ? 0 : 1, -$0.createdAt.timeIntervalSince1970) < ($1.resolvedAt == nil ? 0 : 1, -$1.createdAt.timeIntervalSince1970) }
        return .page(AlertsPage.Model(viewer: reader.viewer, alerts: sorted.prefix(300).map {
            .init(alertID: $0.alertID, kind: $0.kind, severity: $0.severity, message: $0.message, clientID: $0.clientID, createdAt: $0.createdAt, resolvedAt: $0.resolvedAt)
        }, deliveries: deliveries.prefix(200).map {
            .init(alertID: $0.alertID, url: $0.url, status: $0.status, attempts: $0.attempts, lastStatusCode: $0.lastStatusCode, lastError: $0.lastError)
        }))
    }
}
