import FluentKit
import Foundation

final class PipelineRunModel: Model, @unchecked Sendable {
    static let schema = "pipeline_runs"
    @ID(custom: "run_id", generatedBy: .user) var id: String?
    @Field(key: "mode") var mode: String
    @Field(key: "status") var status: String
    @Field(key: "source") var source: String
    @Field(key: "parameters") var parameters: String
    @Field(key: "symbols") var symbols: [String]
    /// Index into `symbols` of the next symbol to process: where `resume` continues.
    @Field(key: "cursor") var cursor: Int
    @Field(key: "symbol_counts") var symbolCounts: String
    @Field(key: "bars_fetched") var barsFetched: Int
    @Field(key: "bars_stored") var barsStored: Int
    @Field(key: "bars_rejected") var barsRejected: Int
    @Field(key: "bars_quarantined") var barsQuarantined: Int
    @Field(key: "issues_found") var issuesFound: Int
    @OptionalField(key: "error") var error: String?
    @Field(key: "started_by") var startedBy: String
    @Field(key: "started_at") var startedAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    @OptionalField(key: "finished_at") var finishedAt: Date?
    init() {}
}
