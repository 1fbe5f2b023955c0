import Foundation
import KeelCore

public enum PipelineMode: String, Sendable, Codable, CaseIterable {
    /// Everything the provider has (optionally limited to a date range).
    case full
    /// Only bars newer than the last one stored per symbol.
    case incremental
    /// Only bars of a date range that lie before what is stored.
    case backfill
}

/// What a run was asked to do, stored with it as JSON.
public struct PipelineParameters: Sendable, Codable, Hashable {
    public var from: Date?
    public var to: Date?
    /// Overrides of the quality policy by severity ("critical", "error", "warning" -> "reject", "quarantine", "accept").
    public var policy: [String: String]?

    public init(from: Date? = nil, to: Date? = nil, policy: [String: String]? = nil) {
        self.from = from
        self.to = to
        self.policy = policy
    }

    /// The standard policy with this run's overrides; an unknown severity or action is a 422 naming it.
    public func qualityPolicy() throws -> QualityPolicy {
        var policy = QualityPolicy.standard
        for (severityName, actionName) in self.policy ?? [:] {
            guard let severity = QualitySeverity(rawValue: severityName) else {
                throw ServiceError.invalid("policy", "policy keys must be critical, error or warning, not '\(severityName)'")
            }
            guard let action = QualityAction(rawValue: actionName) else {
                throw ServiceError.invalid("policy", "policy actions must be reject, quarantine or accept, not '\(actionName)'")
            }
            policy.actions[severity] = action
        }
        return policy
    }
}

/// Counts of one item of a run.
public struct ItemCounts: Sendable, Codable, Hashable {
    public var fetched = 0
    public var stored = 0
    public var rejected = 0
    public var quarantined = 0
    public var issues = 0
    public var notes: [String] = []

    public init() {}
}
