import Foundation
import KeelStore

/// Runs the steps of one scope (the cycle, or one account) and persists each: inputs when it starts, outputs,
/// status and duration when it ends. A step that completed before (a resumed job) is not run again: its stored
/// outputs are returned. A step that was running when the process died runs again, and must be idempotent
/// against what it already committed; each step says how.
struct CycleStepRecorder: Sendable {
    let context: ServiceContext
    let cycleID: String
    let scope: String
    let faults: CycleFaults?
    /// The job's checkpoint: a cancelled job or a stopping worker stops between steps.
    let checkpoint: @Sendable () throws -> Void
    /// The scope's steps as stored when this run began, read in one query: a fresh scope costs no read per step, and
    /// a resumed one knows at once which steps finished. Only this job runs the scope's steps (the cycle's or the
    /// account's claim), so what was stored at the start is what a step would read.
    let stored: [String: CycleStepRecord]

    static func load(context: ServiceContext, cycleID: String, scope: String, faults: CycleFaults?,
                     checkpoint: @escaping @Sendable () throws -> Void = {}) async throws -> CycleStepRecorder {
        let steps = try await context.database.read { try await $0.cycles.steps(cycleID, scope: scope) }
        return CycleStepRecorder(context: context, cycleID: cycleID, scope: scope, faults: faults, checkpoint: checkpoint,
                                 stored: Dictionary(steps.map { ($0.step, $0) }, uniquingKeysWith: { first, _ in first }))
    }

    enum Outcome<Output: Codable & Sendable>: Sendable {
        case completed(Output)
        case skipped(Output)
    }

    func run<Output: Codable & Sendable>(_ step: CycleStep, inputs: (any Encodable & Sendable)? = nil,
                                         _ body: @Sendable () async throws -> Outcome<Output>) async throws -> Output {
        let cycleID = self.cycleID, scope = self.scope
        if let done = stored[step.rawValue], done.status == .completed || done.status == .skipped, let outputs = done.outputs {
            return try StoredJSON.decode(Output.self, outputs)
        }
        try checkpoint()
        let started = context.clock.now()
        let encodedInputs = try inputs.map { try StoredJSON.encode($0) }
        // Single statements on step records only: no transaction around them and no cache invalidation.
        try await context.database.writeStatement(.outsideCachedReads) { try await $0.cycles.beginStep(cycleID, scope: scope, step: step.rawValue, sequence: step.sequence,
                                                                                              inputs: encodedInputs, at: started) }
        let wall = ContinuousClock.now
        let outcome: Outcome<Output>
        do {
            if let faults, faults.fail(step, scope) { throw CycleFaults.InjectedFailure() }
            outcome = try await body()
        } catch {
            let elapsed = Self.milliseconds(since: wall)
            let message = String(((error as? ServiceError)?.message ?? String(describing: error)).prefix(2000))
            let now = context.clock.now()
            if !(error is JobInterruption) {
                try? await context.database.writeStatement(.outsideCachedReads) {
                    try await $0.cycles.endStep(cycleID, scope: scope, step: step.rawValue, status: .failed, outputs: nil, error: message,
                                                durationMilliseconds: elapsed, at: now)
                }
            }
            throw error
        }
        if let faults, await faults.crash(step, scope) { throw JobInterruption.shuttingDown }
        let (status, output): (CycleStepStatus, Output) = switch outcome {
        case .completed(let output): (.completed, output)
        case .skipped(let output): (.skipped, output)
        }
        let encoded = try StoredJSON.encode(output)
        let elapsed = Self.milliseconds(since: wall)
        let now = context.clock.now()
        try await context.database.writeStatement(.outsideCachedReads) {
            try await $0.cycles.endStep(cycleID, scope: scope, step: step.rawValue, status: status, outputs: encoded, error: nil,
                                        durationMilliseconds: elapsed, at: now)
        }
        return output
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }
}
