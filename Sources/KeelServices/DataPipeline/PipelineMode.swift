import Foundation

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

    public init(from: Date? = nil, to: Date? = nil) {
        self.from = from
        self.to = to
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
