import KeelServices
import Vapor

/// Stops the compute threads when the application shuts down (after the job worker, which is registered later
/// and so stopped first).
struct ComputeLifecycle: LifecycleHandler {
    let compute: ComputeExecutor

    func shutdownAsync(_ application: Application) async {
        await compute.shutdown()
    }
}
