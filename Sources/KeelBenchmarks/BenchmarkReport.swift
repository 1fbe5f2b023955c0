import ArgumentParser
import Foundation

/// What a benchmark command prints: its text lines as it goes, or (with `--json`) one JSON object of its figures at
/// the end. A figure that is wrong (Keel and the reference disagree) fails the command after printing, so a smoke run
/// catches it whatever the times.
final class BenchmarkReport {
    let json: Bool
    private(set) var figures: [String: Any] = [:]
    private(set) var failures: [String] = []

    init(json: Bool) {
        self.json = json
    }

    func line(_ text: String) {
        if !json { print(text) }
    }

    func set(_ key: String, _ value: Any) {
        figures[key] = value
    }

    /// Records a result check; a failed one fails the command at `finish`.
    func check(_ passed: Bool, _ what: String) {
        if !passed { failures.append(what) }
    }

    func finish() throws {
        if json {
            figures["failures"] = failures
            print(String(decoding: try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys]), as: UTF8.self))
        } else if !failures.isEmpty {
            print("FAILED: " + failures.joined(separator: "; "))
        }
        if !failures.isEmpty { throw ExitCode(1) }
    }
}
