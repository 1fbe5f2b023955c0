import ArgumentParser
import Foundation
import KeelServices
import KeelStore

/// `keel jobs list|show|cancel`: the job queue from the command line (as an operator with database access).
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "jobs", abstract: "List, show and cancel background jobs.",
                                                    subcommands: [JobsListCommand.self, JobsShowCommand.self, JobsCancelCommand.self])

    static let cliOperator = Principal(userID: "cli", role: .admin, clientID: nil)

    static func print(_ job: JobRecord, long: Bool) {
        let progress = String(format: "%3.0f%%", job.progress * 100)
        Swift.print("\(job.jobID)  \(job.kind.padding(toLength: 22, withPad: " ", startingAt: 0)) \(job.status.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(progress)  attempt \(job.attempts)/\(job.maxAttempts)  \(ISO8601DateFormatter().string(from: job.createdAt))")
        guard long else { return }
        if let message = job.progressMessage { Swift.print("  progress: \(message)") }
        if let owner = job.leaseOwner { Swift.print("  worker:   \(owner) (lease until \(job.leaseExpiresAt.map { ISO8601DateFormatter().string(from: $0) } ?? "?"))") }
        Swift.print("  payload:  \(job.payload.prefix(500))")
        if let result = job.result { Swift.print("  result:   \(result.prefix(2000))") }
        if let error = job.error { Swift.print("  error:    \(error)") }
    }
}

enum JobStatusOption: String, ExpressibleByArgument, CaseIterable {
    case queued, running, succeeded, failed, cancelled
}

struct JobsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Recent jobs, newest first.")

    @OptionGroup var database: DatabaseOptions
    @ArgumentParser.Option(help: "Only jobs of this kind (e.g. backtest, pipeline.run, duty.reconcile).") var kind: String?
    @ArgumentParser.Option(help: "Only jobs in this status.") var status: JobStatusOption?
    @ArgumentParser.Option(help: "At most this many (1-1000).") var limit = 50

    func run() async throws {
        let jobs = try await CLIApplication.run(database: database) { services in
            try await services.jobs.list(kind: kind, status: status?.rawValue, limit: limit, by: JobsCommand.cliOperator)
        }
        if jobs.isEmpty { Swift.print("no jobs") }
        for job in jobs { JobsCommand.print(job, long: false) }
    }
}

struct JobsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One job: status, progress, result or error.")

    @OptionGroup var database: DatabaseOptions
    @ArgumentParser.Argument(help: "The job id.") var jobID: String

    func run() async throws {
        let job = try await CLIApplication.run(database: database) { try await $0.jobs.get(jobID, by: JobsCommand.cliOperator) }
        JobsCommand.print(job, long: true)
    }
}

struct JobsCancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a queued job, or ask a running one to stop.")

    @OptionGroup var database: DatabaseOptions
    @ArgumentParser.Argument(help: "The job id.") var jobID: String

    func run() async throws {
        let job = try await CLIApplication.run(database: database) { try await $0.jobs.cancel(jobID, by: JobsCommand.cliOperator) }
        JobsCommand.print(job, long: true)
    }
}
