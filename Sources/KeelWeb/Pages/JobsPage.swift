import Foundation
import Plot

extension JobsPage {
    /// Background jobs as the workspace shows them: kind, status, progress, attempts and timing. The page reloads
    /// itself every few seconds while any job runs (a meta refresh: no script).
    public struct Model: Sendable {
        public struct Job: Sendable, Hashable {
            public var jobID: String
            public var kind: String
            public var status: String
            public var progress: Double
            public var message: String?
            public var attempts: Int
            public var maxAttempts: Int
            public var createdAt: Date
            public var finishedAt: Date?
            public var error: String?

            public init(jobID: String, kind: String, status: String, progress: Double, message: String?, attempts: Int, maxAttempts: Int,
                        createdAt: Date, finishedAt: Date?, error: String?) {
                self.jobID = jobID
                self.kind = kind
                self.status = status
                self.progress = progress
                self.message = message
                self.attempts = attempts
                self.maxAttempts = maxAttempts
                self.createdAt = createdAt
                self.finishedAt = finishedAt
                self.error = error
            }
        }

        public var viewer: Viewer
        /// Work: cycles, training, backtests, pipeline runs.
        public var jobs: [Job]
        /// The periodic duties (reconcile, webhooks, schedules): the latest run of each kind.
        public var duties: [Job]
        public var kind: String?

        public init(viewer: Viewer, jobs: [Job], duties: [Job] = [], kind: String?) {
            self.viewer = viewer
            self.jobs = jobs
            self.duties = duties
            self.kind = kind
        }
    }
}

public enum JobsPage {
    public static func render(_ model: Model) -> String {
        // Duties are always queued for their next run: only work in progress makes the page follow itself.
        let live = model.jobs.contains { $0.status == "running" || $0.status == "queued" }
        return PageLayout.document(title: "Jobs", section: .jobs, viewer: model.viewer, refreshSeconds: live ? 5 : nil, content: .group(
            .h1("Jobs"),
            .if(live, .p(.class("label"), "Jobs are running: this page refreshes every 5 seconds.")),
            .if(model.jobs.isEmpty, .p("No jobs yet.")),
            table(model.jobs, label: { $0.kind }),
            .h2(.style("margin-top:1rem"), "Periodic duties (latest run of each)"),
            .if(model.duties.isEmpty, .p("No duties have run yet.")),
            table(model.duties, label: { $0.kind })
        ))
    }

    static func table(_ jobs: [Model.Job], label: (Model.Job) -> String) -> Node<HTML.BodyContext> {
        .table(
            .tr(.th("Kind"), .th("Status"), .th("Progress"), .th("Attempts"), .th("Queued"), .th("Finished"), .th("Error")),
            .forEach(jobs) { job in
                let progress = min(max(job.progress.isFinite ? job.progress : 0, 0), 1)
                return .tr(
                    .td(.text(label(job))), .td(.class(job.status == "failed" ? "bad" : job.status == "succeeded" ? "good" : ""), .text(job.status)),
                    .td(Controls.progress(progress, label: "\(job.kind) progress"),
                        .text(job.message.map { " " + $0 } ?? "")),
                    .td(.text("\(job.attempts)/\(job.maxAttempts)")), .td(.text(Format.time(job.createdAt))), .td(.text(Format.time(job.finishedAt))),
                    .td(.text(job.error.map { String($0.prefix(200)) } ?? "")))
            }
        )
    }
}
