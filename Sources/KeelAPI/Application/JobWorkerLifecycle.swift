import KeelServices
import KeelStore
import NIOConcurrencyHelpers
import Vapor

/// Ties this process's job worker to the application: started when the app boots, and at shutdown (SIGTERM
/// included, through Vapor's lifecycle) stopped with `await`, so no job is left running that no worker holds.
/// On PostgreSQL it also listens for other processes' enqueues (`JobWakeups`) and wakes the worker on each.
struct JobWorkerLifecycle: LifecycleHandler {
    let runner: JobRunner
    /// The PostgreSQL URL to LISTEN on; nil on SQLite (one process: an enqueue wakes its own runner directly).
    let wakeupURL: String?
    let listener = NIOLockedValueBox<Task<Void, Never>?>(nil)

    func didBoot(_ application: Application) throws {
        let runner = self.runner
        startListening(logger: application.logger)
        // Vapor's synchronous boot (tests) cannot await; the start itself returns at once.
        Task { await runner.start() }
    }

    func didBootAsync(_ application: Application) async throws {
        startListening(logger: application.logger)
        await runner.start()
    }

    func shutdownAsync(_ application: Application) async {
        await runner.stop()
        let task = listener.withLockedValue { task in defer { task = nil }; return task }
        task?.cancel()
        await task?.value
    }

    private func startListening(logger: Logger) {
        guard let url = wakeupURL else { return }
        let runner = self.runner
        listener.withLockedValue { task in
            guard task == nil else { return }
            task = Task { await JobWakeups.listen(url: url, logger: logger) { runner.notify() } }
        }
    }
}
