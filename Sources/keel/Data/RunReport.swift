import Foundation
import KeelStore

/// Prints a pipeline run for people, and exits non-zero when it failed.
enum RunReport {
    static func print(_ run: PipelineRunRecord) {
        Swift.print("run \(run.runID) [\(run.mode)] \(run.status.rawValue): \(run.cursor)/\(run.symbols.count) items, "
            + "\(run.barsFetched) fetched, \(run.barsStored) stored, \(run.barsRejected) rejected, \(run.barsQuarantined) quarantined, "
            + "\(run.issuesFound) quality issue(s)")
        if let error = run.error {
            Swift.print("error: \(error)")
            Swift.print("fix the cause, then continue with: keel data resume \(run.runID)")
        }
    }
}
