import Foundation
import KeelCore
import KeelStore
import Logging

/// A worker: claims due jobs of the registered kinds (within each kind's limit across all workers and its own
/// parallelism), runs them under a lease it renews by heartbeat, retries failures with back-off, honours
/// cancellation, recovers jobs whose worker died, and keeps every periodic duty scheduled. Every wait goes
/// through the injected clock. `stop()` stops claiming, gives running jobs the grace period to finish or reach
/// a checkpoint, releases the rest back to the queue, and returns only when none is left running.
public actor JobRunner {
    let context: ServiceContext
    let handlers: [String: any JobHandler]
    let duties: [PeriodicDuty]
    let settings: JobRunnerSettings
    public nonisolated let owner: String
    let wake = WakeSignal()
    public nonisolated let metrics: JobMetrics

    private var loop: Task<Void, Never>?
    private var running: [String: (task: Task<Void, Never>, state: JobRunState, cpuBound: Bool)] = [:]
    private var stopping = false

    public init(context: ServiceContext, handlers: [any JobHandler], duties: [PeriodicDuty], settings: JobRunnerSettings,
                owner: String = JobRunner.defaultOwner(), metrics: JobMetrics = JobMetrics()) {
        self.context = context
        self.handlers = Dictionary(handlers.map { ($0.kind, $0) }, uniquingKeysWith: { first, _ in first })
        self.duties = duties
        self.settings = settings
        self.owner = owner
        self.metrics = metrics
    }

    public static func defaultOwner() -> String {
        "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    public var isRunning: Bool { loop != nil }
    public var runningJobIDs: [String] { Array(running.keys) }

    /// Starts the claim loop (idempotent).
    public func start() {
        guard loop == nil, !stopping else { return }
        loop = Task { await self.runLoop() }
    }

    /// Wakes the loop now (a job was enqueued in this process).
    public nonisolated func notify() { wake.signal() }

    /// A cancel asked in this process reaches the job at once (other processes' workers see it within their
    /// watch interval). Returns whether this worker runs the job.
    @discardableResult
    public func interrupt(_ jobID: String) -> Bool {
        guard let entry = running[jobID] else { return false }
        entry.state.interrupt(.cancelled)
        return true
    }

    public func stop() async {
        guard !stopping else { return }
        stopping = true
        loop?.cancel()
        await loop?.value
        loop = nil
        // Running jobs first get the grace period (on the clock) to end on their own; each end wakes this wait.
        let deadline = context.clock.now().addingTimeInterval(settings.shutdownGrace)
        while !running.isEmpty {
            let remaining = deadline.timeIntervalSince(context.clock.now())
            if remaining <= 0 { break }
            await wake.wait(upTo: remaining, on: context.clock)
        }
        // The rest stop at their next checkpoint and go back to the queue without losing an attempt.
        let left = Array(running.values)
        for entry in left {
            entry.state.interrupt(.shuttingDown)
            entry.task.cancel()
        }
        for entry in left { await entry.task.value }
    }

    private func runLoop() async {
        while !Task.isCancelled && !stopping {
            let started = context.clock.now()
            do {
                try await tick()
            } catch {
                // A round cut short by shutdown (its pool closing) is not an error worth reporting.
                if !stopping && !Task.isCancelled { context.logger.error("job runner \(owner): \(error)") }
            }
            if Task.isCancelled || stopping { break }
            // The next round is due a poll interval after this one began: if the clock moved on while the round
            // ran (a jump, or a slow round), a job that fell due meanwhile is not left waiting a whole interval.
            await wake.wait(until: started.addingTimeInterval(settings.pollInterval), on: context.clock)
        }
    }

    /// One round: recover expired leases, schedule periodic duties, claim what capacity allows.
    func tick() async throws {
        let now = context.clock.now()
        let recovered = try await context.database.write(.jobQueue) { try await $0.jobs.recoverExpired(at: now) }
        if recovered.requeued + recovered.failed > 0 {
            context.logger.warning("recovered \(recovered.requeued) job(s) from expired leases, failed \(recovered.failed)")
        }
        try await scheduleDuties(now: now)
        while !stopping, running.count < settings.maxParallel {
            let claimed = try await claim(upTo: settings.maxParallel - running.count)
            if claimed.isEmpty { break }
            for job in claimed { launch(job) }
        }
    }

    private func scheduleDuties(now: Date) async throws {
        for duty in duties where handlers[duty.kind] != nil {
            let pending = try await context.database.read { try await $0.jobs.pending(kind: duty.kind) }
            guard pending == nil else { continue }
            let last = try await context.database.read { try await $0.jobs.lastFinished(kind: duty.kind) }
            let due = max(now, (last?.finishedAt ?? now.addingTimeInterval(-duty.interval)).addingTimeInterval(duty.interval))
            // One key per slot: two processes scheduling the same duty insert it once.
            let slot = Int((due.timeIntervalSince1970 / max(duty.interval, 1)).rounded(.down))
            let job = NewJob(kind: duty.kind, payload: "{}", maxAttempts: 1, runAfter: due, idempotencyKey: "periodic:\(duty.kind):\(slot)")
            do {
                _ = try await context.database.write(.jobQueue) { try await $0.jobs.enqueue(job, id: UUID().uuidString.lowercased(), at: now) }
            } catch StoreError.duplicate {
                continue
            }
        }
    }

    /// Claims up to `count` jobs. A kind with a limit is claimed alone, one job at a time, under its advisory
    /// lock (PostgreSQL), so the count and the claim agree across processes; unlimited kinds in batches.
    private func claim(upTo count: Int) async throws -> [JobRecord] {
        let counts = try await context.database.read { try await $0.jobs.runningCounts() }
        // CPU-bound kinds only while a compute thread of this process is free.
        var computeFree = context.compute.threads - running.values.filter(\.cpuBound).count
        let open = handlers.values.filter { counts[$0.kind, default: 0] < $0.concurrency && (!$0.isCPUBound || computeFree > 0) }
        guard !open.isEmpty else { return [] }
        let now = context.clock.now(), owner = self.owner, lease = now.addingTimeInterval(settings.lease)
        // CPU-bound kinds are always claimed one kind at a time, so the compute capacity is counted as they are.
        let unlimited = open.filter { $0.concurrency >= Self.unlimited && !$0.isCPUBound }.map(\.kind).sorted()
        let limited = open.filter { $0.concurrency < Self.unlimited || $0.isCPUBound }.map { ($0.kind, $0.concurrency) }.sorted { $0.0 < $1.0 }
        var claimed: [JobRecord] = []
        for (kind, limit) in limited where claimed.count < count {
            let cpuBound = handlers[kind]?.isCPUBound == true
            if cpuBound && computeFree <= 0 { continue }
            let wanted = cpuBound ? min(count - claimed.count, computeFree) : count - claimed.count
            claimed += try await context.database.write(.jobQueue) { session -> [JobRecord] in
                try await session.jobs.lockClaims(kinds: [kind], in: session)
                let free = limit - (try await session.jobs.runningCounts()[kind, default: 0])
                guard free > 0 else { return [] }
                // Every claimed row is returned and launched: none can be left running unheld.
                return try await session.jobs.claim(kinds: [kind], limit: min(free, wanted), owner: owner, now: now,
                                                    leaseUntil: lease, in: session)
            }
            if cpuBound { computeFree = context.compute.threads - running.values.filter(\.cpuBound).count - claimed.filter { handlers[$0.kind]?.isCPUBound == true }.count }
        }
        if claimed.count < count, !unlimited.isEmpty {
            let want = count - claimed.count
            claimed += try await context.database.write(.jobQueue) { session in
                try await session.jobs.claim(kinds: unlimited, limit: want, owner: owner, now: now, leaseUntil: lease, in: session)
            }
        }
        return claimed
    }

    /// Kinds at or above this limit are treated as unlimited (claimed in batches, no advisory lock).
    static let unlimited = 1_000

    private func launch(_ job: JobRecord) {
        guard let handler = handlers[job.kind] else { return }
        let state = JobRunState()
        let task = Task { await self.execute(job, handler: handler, state: state) }
        running[job.jobID] = (task, state, handler.isCPUBound)
    }

    private func finished(_ id: String) {
        running[id] = nil
        wake.signal()
    }

    /// Runs off the actor: jobs of one worker proceed in parallel; only their end is recorded on it.
    private nonisolated func execute(_ job: JobRecord, handler: any JobHandler, state: JobRunState) async {
        let context = self.context, owner = self.owner, settings = self.settings
        let started = context.clock.now()
        metrics.started(kind: job.kind, waited: started.timeIntervalSince(job.startedAt ?? started))
        // The watcher: renews the lease every third of it, and every watch interval writes the progress the work
        // noted and looks for a cancel asked from another process.
        let heartbeat = Task {
            let watch = max(0.05, min(settings.watchInterval, settings.lease / 3))
            var renewed = context.clock.now()
            while !Task.isCancelled {
                try? await context.clock.sleep(for: watch)
                if Task.isCancelled { break }
                let now = context.clock.now()
                do {
                    if let noted = state.takeNotedProgress() {
                        _ = try await context.database.writeStatement(.jobQueue) {
                            try await $0.jobs.progress(job.jobID, owner: owner, fraction: noted.fraction, message: noted.message)
                        }
                    }
                    if now.timeIntervalSince(renewed) >= settings.lease / 3 {
                        guard let current = try await context.database.write(.jobQueue, {
                            try await $0.jobs.heartbeat(job.jobID, owner: owner, now: now, leaseUntil: now.addingTimeInterval(settings.lease))
                        }) else { state.interrupt(.leaseLost); break }
                        renewed = now
                        if current.cancelRequested { state.interrupt(.cancelled) }
                    } else if try await context.database.read({ try await $0.jobs.find(job.jobID) })?.cancelRequested == true {
                        state.interrupt(.cancelled)
                    }
                } catch {
                    context.logger.warning("heartbeat of job \(job.jobID) failed: \(error)")
                }
            }
        }
        let running = RunningJob(record: job, state: state) { fraction, message in
            _ = try? await context.database.writeStatement(.jobQueue) { try await $0.jobs.progress(job.jobID, owner: owner, fraction: fraction, message: message) }
        }
        var outcome: Result<String?, any Error>
        do {
            try running.checkpoint()
            // The claim returned the row as it was taken: a cancellation asked for before that is already visible.
            if job.cancelRequested { throw JobInterruption.cancelled }
            outcome = .success(try await handler.run(running))
        } catch {
            outcome = .failure(error)
        }
        heartbeat.cancel()
        await record(outcome, job: job, state: state, settings: settings)
        metrics.finished(kind: job.kind, status: Self.status(of: outcome, job: job, state: state), seconds: context.clock.now().timeIntervalSince(started))
        await finished(job.jobID)
    }

    static func status(of outcome: Result<String?, any Error>, job: JobRecord, state: JobRunState) -> String {
        switch outcome {
        case .success: return "succeeded"
        case .failure(let error):
            if let interruption = (error as? JobInterruption) ?? state.interruption {
                return interruption == .cancelled ? "cancelled" : "released"
            }
            return job.attempts < job.maxAttempts ? "retried" : "failed"
        }
    }

    private nonisolated func record(_ outcome: Result<String?, any Error>, job: JobRecord, state: JobRunState, settings: JobRunnerSettings) async {
        let now = context.clock.now(), owner = self.owner
        var logger = context.logger
        logger[metadataKey: "job_id"] = .string(job.jobID)
        logger[metadataKey: "job_kind"] = .string(job.kind)
        do {
            switch outcome {
            case .success(let result):
                _ = try await context.database.writeStatement(.jobQueue) { try await $0.jobs.finish(job.jobID, owner: owner, status: .succeeded, result: result, error: nil, at: now) }
            case .failure(let error):
                let interruption = (error as? JobInterruption) ?? (error is CancellationError ? state.interruption ?? .shuttingDown : state.interruption)
                switch interruption {
                case .cancelled?:
                    _ = try await context.database.writeStatement(.jobQueue) { try await $0.jobs.finish(job.jobID, owner: owner, status: .cancelled, result: nil,
                                                                                     error: "cancelled while running", at: now) }
                case .shuttingDown?:
                    _ = try await context.database.writeStatement(.jobQueue) { try await $0.jobs.requeue(job.jobID, owner: owner, runAfter: now,
                                                                                      error: "released at shutdown of worker \(owner)", countAttempt: false) }
                case .leaseLost?:
                    logger.warning("job lost its lease; its outcome is discarded")
                case nil:
                    let message = String(String(describing: (error as? ServiceError)?.message ?? String(describing: error)).prefix(2000))
                    if job.attempts < job.maxAttempts && !(error is PermanentJobFailure) {
                        let retryAt = now.addingTimeInterval(settings.retryDelay(afterAttempt: job.attempts))
                        _ = try await context.database.writeStatement(.jobQueue) { try await $0.jobs.requeue(job.jobID, owner: owner, runAfter: retryAt, error: message, countAttempt: true) }
                    } else {
                        _ = try await context.database.writeStatement(.jobQueue) { try await $0.jobs.finish(job.jobID, owner: owner, status: .failed, result: nil, error: message, at: now) }
                    }
                    logger.warning("job attempt \(job.attempts) failed: \(message)")
                }
            }
        } catch {
            // The lease will expire and the job be recovered: nothing is lost.
            logger.error("job finished but its outcome could not be stored: \(error)")
        }
    }
}
