import Foundation
import Metrics

/// Keel's own series, through swift-metrics (the process bootstraps the Prometheus backend once; without a
/// backend these are no-ops). Names follow Prometheus conventions; label values are bounded sets.
public enum KeelMetrics {
    static func order(broker: String, status: String) {
        Counter(label: "keel_orders_total", dimensions: [("broker", broker), ("status", status)]).increment()
    }

    static func batchExecuted(status: String, seconds: TimeInterval) {
        Timer(label: "keel_batch_execution_seconds", dimensions: [("status", status)]).recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }

    static func job(kind: String, status: String, seconds: TimeInterval) {
        Counter(label: "keel_jobs_total", dimensions: [("kind", kind), ("status", status)]).increment()
        Timer(label: "keel_job_duration_seconds", dimensions: [("kind", kind)]).recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }

    static func jobClaimed(kind: String, waited: TimeInterval) {
        Timer(label: "keel_job_claim_wait_seconds", dimensions: [("kind", kind)]).recordNanoseconds(Int64(max(0, waited) * 1e9))
    }

    static func pipelineBars(stored: Int, rejected: Int, quarantined: Int) {
        Counter(label: "keel_pipeline_bars_total", dimensions: [("outcome", "stored")]).increment(by: stored)
        Counter(label: "keel_pipeline_bars_total", dimensions: [("outcome", "rejected")]).increment(by: rejected)
        Counter(label: "keel_pipeline_bars_total", dimensions: [("outcome", "quarantined")]).increment(by: quarantined)
    }

    static func webhookFailed() {
        Counter(label: "keel_webhook_deliveries_failed_total").increment()
    }

    static func schwabRefresh(succeeded: Bool) {
        Counter(label: succeeded ? "keel_schwab_token_refreshes_total" : "keel_schwab_token_refresh_failures_total").increment()
    }

    static func reconciliationMismatches(_ count: Int) {
        Counter(label: "keel_reconciliation_mismatches_total").increment(by: count)
    }

    /// Levels read from the database at scrape time: orders of unknown fate, queue depth and running jobs by kind.
    public static func recordLevels(unknownOrders: Int, queued: [String: Int], running: [String: Int], kinds: [String]) {
        Gauge(label: "keel_orders_unknown").record(unknownOrders)
        for kind in kinds {
            Gauge(label: "keel_jobs_queued", dimensions: [("kind", kind)]).record(queued[kind, default: 0])
            Gauge(label: "keel_jobs_running", dimensions: [("kind", kind)]).record(running[kind, default: 0])
        }
    }
}
