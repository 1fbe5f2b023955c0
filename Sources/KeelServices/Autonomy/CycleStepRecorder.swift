import Foundation
import KeelStore

/// Runs the steps of one or many scopes (the cycle, one account, or a chunk of accounts) and persists each: inputs
/// when it starts, outputs, status and duration when it ends. A step that completed before (a resumed job) is not
/// run again: its stored outputs are returned. A step that was running when the process died runs again, and must
/// be idempotent against what it already committed; each step says how.
///
/// Over a chunk, one step runs for every scope at once (a bounded number in parallel) and its records are written
/// with one multi-row statement when it starts and one when it ends, instead of two statements per account.
struct CycleStepRecorder: Sendable {
    let context: ServiceContext
    let cycleID: String
    let scopes: [String]
    let faults: CycleFaults?
    /// The job's checkpoint: a cancelled job or a stopping worker stops between steps.
    let checkpoint: @Sendable () throws -> Void
    /// The scopes' steps as stored when this run began, read in one query: a fresh scope costs no read per step, and
    /// a resumed one knows at once which steps finished. Only this job runs these scopes' steps (the cycle's or the
    /// accounts' claim), so what was stored at the start is what a step would read.
    let stored: [String: [String: CycleStepRecord]]

    static func load(context: ServiceContext, cycleID: String, scope: String, faults: CycleFaults?,
                     checkpoint: @escaping @Sendable () throws -> Void = {}) async throws -> CycleStepRecorder {
        try await load(context: context, cycleID: cycleID, scopes: [scope], faults: faults, checkpoint: checkpoint)
    }

    static func load(context: ServiceContext, cycleID: String, scopes: [String], faults: CycleFaults?,
                     checkpoint: @escaping @Sendable () throws -> Void = {}) async throws -> CycleStepRecorder {
        let steps = try await context.database.read { try await $0.cycles.steps(cycleID, scopes: scopes) }
        var stored: [String: [String: CycleStepRecord]] = [:]
        for step in steps where stored[step.scope]?[step.step] == nil { stored[step.scope, default: [:]][step.step] = step }
        return CycleStepRecorder(context: context, cycleID: cycleID, scopes: scopes, faults: faults, checkpoint: checkpoint, stored: stored)
    }

    enum Outcome<Output: Codable & Sendable>: Sendable {
        case completed(Output)
        case skipped(Output)
    }

    /// Runs `step` for the recorder's only scope; its error is thrown.
    func run<Output: Codable & Sendable>(_ step: CycleStep, inputs: (any Encodable & Sendable)? = nil,
                                         _ body: @escaping @Sendable () async throws -> Outcome<Output>) async throws -> Output {
        guard let scope = scopes.first, scopes.count == 1 else { throw PermanentJobFailure("a single-scope step over \(scopes.count) scopes") }
        let encoded = try inputs.map { try StoredJSON.encode($0) }
        let results = try await run(step, scopes: [scope], concurrency: 1, inputs: { _ in encoded }, { _ in try await body() })
        guard let result = results[scope] else { throw PermanentJobFailure("step \(step.rawValue) of \(scope) left no result") }
        return try result.get()
    }

    /// Runs `step` for each of `scopes` (at most `concurrency` at once). Returns each scope's outputs or the error its
    /// body threw (recorded as the step's failure). A job interruption, or a crash the test hook injects, is thrown
    /// once every other scope's step has ended and been recorded.
    func run<Output: Codable & Sendable>(_ step: CycleStep, scopes: [String], concurrency: Int,
                                         inputs: (String) throws -> String?,
                                         _ body: @escaping @Sendable (String) async throws -> Outcome<Output>) async throws -> [String: Result<Output, any Error>] {
        try await record(step, scopes: scopes, inputs: inputs) { pending in
            await Self.bounded(pending, concurrency: concurrency) { scope -> Ran<Output> in
                let wall = ContinuousClock.now
                do {
                    return .finished(try await body(scope), Self.milliseconds(since: wall))
                } catch let interruption as JobInterruption {
                    return .interrupted(interruption)
                } catch {
                    return .threw(error, Self.milliseconds(since: wall))
                }
            }
        }
    }

    /// Runs `step` for every scope with one body for the whole set: the chunk's reads and writes done together, in
    /// a few statements for any number of accounts. The body answers each scope's outcome or error; an error it
    /// throws is every scope's. Recorded as `run` records.
    func runTogether<Output: Codable & Sendable>(_ step: CycleStep, scopes: [String], inputs: (String) throws -> String?,
                                                 _ body: @escaping @Sendable ([String]) async throws -> [String: Result<Outcome<Output>, any Error>])
        async throws -> [String: Result<Output, any Error>] {
        try await record(step, scopes: scopes, inputs: inputs) { pending in
            let wall = ContinuousClock.now
            let answered: [String: Result<Outcome<Output>, any Error>]
            do {
                answered = try await body(pending)
            } catch let interruption as JobInterruption {
                return pending.map { ($0, .interrupted(interruption)) }
            } catch {
                let elapsed = Self.milliseconds(since: wall) / max(pending.count, 1)
                return pending.map { ($0, .threw(error, elapsed)) }
            }
            // Each scope's share of the time the chunk took, the remainder spread so the shares add up to it.
            let total = Self.milliseconds(since: wall), count = max(pending.count, 1)
            return pending.enumerated().map { index, scope -> (String, Ran<Output>) in
                let elapsed = total / count + (index < total % count ? 1 : 0)
                return switch answered[scope] {
                case .success(let outcome)?: (scope, .finished(outcome, elapsed))
                case .failure(let error)?: (scope, .threw(error, elapsed))
                case nil: (scope, .threw(PermanentJobFailure("step \(step.rawValue) gave no answer for \(scope)"), elapsed))
                }
            }
        }
    }

    /// The bookkeeping of both: stored steps answered from their records, the rest begun (one statement), run by
    /// `execute` (less those the fault hook fails), ended (one statement).
    private func record<Output: Codable & Sendable>(_ step: CycleStep, scopes: [String], inputs: (String) throws -> String?,
                                                    execute: @Sendable ([String]) async -> [(String, Ran<Output>)]) async throws -> [String: Result<Output, any Error>] {
        var results: [String: Result<Output, any Error>] = [:]
        var pending: [(scope: String, inputs: String?)] = []
        for scope in scopes {
            if let done = stored[scope]?[step.rawValue], done.status == .completed || done.status == .skipped, let outputs = done.outputs {
                results[scope] = .success(try StoredJSON.decode(Output.self, outputs))
            } else {
                pending.append((scope, try inputs(scope)))
            }
        }
        guard !pending.isEmpty else { return results }
        try checkpoint()
        let cycleID = self.cycleID
        let started = context.clock.now()
        // Single statements on step records only: no transaction around them and no cache invalidation.
        let starts = pending
        try await context.database.writeStatement(.outsideCachedReads) {
            try await $0.cycles.beginSteps(cycleID, step: step.rawValue, sequence: step.sequence, starts, at: started)
        }
        let injected = pending.map(\.scope).filter { faults?.fail(step, $0) ?? false }
        var ran = await execute(pending.map(\.scope).filter { !injected.contains($0) })
        ran += injected.map { ($0, .threw(CycleFaults.InjectedFailure(), 0)) }
        var ends: [CycleStepEnd] = []
        var interruption: JobInterruption?
        for (scope, outcome) in ran {
            var outcome = outcome
            // The hook's crash: the step's work committed, its record not (the process died in between).
            if case .finished = outcome, let faults, await faults.crash(step, scope) { outcome = .interrupted(.shuttingDown) }
            switch outcome {
            case .finished(let outcome, let elapsed):
                let (status, output): (CycleStepStatus, Output) = switch outcome {
                case .completed(let output): (.completed, output)
                case .skipped(let output): (.skipped, output)
                }
                ends.append(CycleStepEnd(scope: scope, status: status, outputs: try StoredJSON.encode(output), error: nil, startedAt: started,
                                         durationMilliseconds: elapsed))
                results[scope] = .success(output)
            case .threw(let error, let elapsed):
                let message = String(((error as? ServiceError)?.message ?? String(describing: error)).prefix(2000))
                ends.append(CycleStepEnd(scope: scope, status: .failed, outputs: nil, error: message, startedAt: started, durationMilliseconds: elapsed))
                results[scope] = .failure(error)
            case .interrupted(let error):
                // Not recorded: the step reruns when the job resumes.
                interruption = interruption ?? error
            }
        }
        let now = context.clock.now()
        let finished = ends
        if !finished.isEmpty {
            try await context.database.writeStatement(.outsideCachedReads) {
                try await $0.cycles.endSteps(cycleID, step: step.rawValue, sequence: step.sequence, finished, at: now)
            }
        }
        if let interruption { throw interruption }
        return results
    }

    /// How one scope's body ended.
    enum Ran<Output: Codable & Sendable>: Sendable {
        case finished(Outcome<Output>, Int)
        case threw(any Error, Int)
        case interrupted(JobInterruption)
    }

    /// Runs `work` for each item, at most `concurrency` at once; answers in the items' order.
    static func bounded<Item: Sendable, Value: Sendable>(_ items: [Item], concurrency: Int,
                                                         _ work: @escaping @Sendable (Item) async -> Value) async -> [(Item, Value)] {
        await withTaskGroup(of: (Int, Value).self) { group in
            var next = 0
            for _ in 0..<min(max(concurrency, 1), items.count) {
                let index = next, item = items[index]
                group.addTask { (index, await work(item)) }
                next += 1
            }
            var values = [Value?](repeating: nil, count: items.count)
            while let (index, value) = await group.next() {
                values[index] = value
                if next < items.count {
                    let index = next, item = items[index]
                    group.addTask { (index, await work(item)) }
                    next += 1
                }
            }
            return zip(items, values).map { ($0, $1!) }
        }
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }
}
