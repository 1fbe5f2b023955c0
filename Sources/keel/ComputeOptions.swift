import ArgumentParser
import KeelServices

/// How many threads run CPU-bound work (training, evaluation, backtests) beside the pool that serves requests.
struct ComputeOptions: ParsableArguments {
    @ArgumentParser.Option(help: "Threads for training, evaluation and backtests, apart from those serving requests (default: $KEEL_COMPUTE_THREADS or cores - 1, at least 1).")
    var computeThreads: Int?

    var threads: Int {
        get throws {
            if let computeThreads { return computeThreads }
            guard let text = KeelEnvironment.computeThreads.value else { return ComputeExecutor.defaultThreads }
            guard let value = Int(text), (1...256).contains(value) else {
                throw ValidationError("KEEL_COMPUTE_THREADS must be a whole number between 1 and 256 (got '\(text)')")
            }
            return value
        }
    }

    func validate() throws {
        if let computeThreads, !(1...256).contains(computeThreads) {
            throw ValidationError("--compute-threads must be between 1 and 256")
        }
        _ = try threads
    }
}
