import FluentPostgresDriver
import Foundation
import Logging

/// Cross-process wake-ups of job workers on PostgreSQL. Every enqueue and every job that ends sends a NOTIFY on
/// `channel` inside its transaction (PostgreSQL delivers it on commit, never for a rolled-back write); each worker
/// process LISTENs on one dedicated connection and wakes its runner, so a job enqueued by another process (the
/// API, a scheduler, another worker) is claimed at once, whatever clock the worker polls on. Polling stays as the
/// fallback, and every (re)connection wakes the runner once to catch up on what it may have missed.
public enum JobWakeups {
    public static let channel = "keel_jobs"

    /// The statement that wakes every listening worker once the surrounding transaction commits.
    static func notify(_ sql: any SQLDatabase) async throws {
        guard sql.dialect.name == "postgresql" else { return }
        try await sql.raw("SELECT pg_notify(\(bind: channel), '')").run()
    }

    /// Listens until the task is cancelled. A lost connection is retried after `retryDelay` seconds of real time
    /// (a network back-off, not a schedule: an injected test clock may never move).
    public static func listen(url: String, logger: Logger, retryDelay: TimeInterval = 1, onWake: @escaping @Sendable () -> Void) async {
        let configuration: PostgresConnection.Configuration
        do {
            configuration = try SQLPostgresConfiguration(url: url).coreConfiguration
        } catch {
            logger.error("job wake-ups: cannot read the PostgreSQL URL (\(error)); workers fall back to polling")
            return
        }
        var connectionID = 0
        while !Task.isCancelled {
            connectionID += 1
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: connectionID, logger: logger)
                do {
                    try await withTaskCancellationHandler {
                        try await connection.listen(on: channel) { notifications in
                            onWake()
                            for try await _ in notifications { onWake() }
                        }
                    } onCancel: {
                        // Closing ends the notification sequence, and with it the listen.
                        connection.close().whenComplete { _ in }
                    }
                } catch {
                    // Closed (awaited) on every way out: a connection released while its channel is still open is
                    // a leak, and PostgresNIO traps on it in debug builds.
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if Task.isCancelled { return }
                logger.warning("job wake-ups: listening failed (\(error)); retrying, workers poll meanwhile")
            }
            try? await Task.sleep(nanoseconds: UInt64(max(retryDelay, 0.05) * 1e9))
        }
    }
}
