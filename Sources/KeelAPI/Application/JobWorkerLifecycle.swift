import KeelServices
import Vapor

/// Ties this process's job worker to the application: started when the app boots, and at shutdown (SIGTERM
/// included, through Vapor's lifecycle) stopped with `await`, so no job is left running that no worker holds.
struct JobWorkerLifecycle: LifecycleHandler {
    let runner: JobRunner

    func didBoot(_ application: Application) throws {
        let runner = self.runner
        // Vapor's synchronous boot (tests) cannot await; the start itself returns at once.
        Task { await runner.start() }
    }

    func didBootAsync(_ application: Application) async throws {
        await runner.start()
    }

    func shutdownAsync(_ application: Application) async {
        await runner.stop()
    }
}
