import Foundation

/// Counters of the job runner, read by the metrics endpoint (and tests): jobs started and finished by kind and
/// outcome, total run seconds, and the claim-to-start wait.
public final class JobMetrics: Sendable {
    public struct Snapshot: Sendable, Hashable {
        public var started: [String: Int] = [:]
        public var finished: [String: [String: Int]] = [:]
        public var runSeconds: [String: Double] = [:]
        public var waits: [Double] = []
    }

    private let state = LockedValue(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.value }

    func started(kind: String, waited: TimeInterval) {
        KeelMetrics.jobClaimed(kind: kind, waited: waited)
        state.update { snapshot in
            snapshot.started[kind, default: 0] += 1
            if snapshot.waits.count < 100_000 { snapshot.waits.append(max(0, waited)) }
        }
    }

    func finished(kind: String, status: String, seconds: TimeInterval) {
        KeelMetrics.job(kind: kind, status: status, seconds: seconds)
        state.update { snapshot in
            snapshot.finished[kind, default: [:]][status, default: 0] += 1
            snapshot.runSeconds[kind, default: 0] += seconds
        }
    }
}
