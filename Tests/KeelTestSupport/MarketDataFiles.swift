import Foundation
import Testing

/// The real market data beside the repository (`../shared/data/market`, or $KEEL_MARKET_DATA).
public enum MarketDataFiles {
    public static let root: URL = {
        if let override = ProcessInfo.processInfo.environment["KEEL_MARKET_DATA"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/data/market")
    }()

    public static var available: Bool {
        FileManager.default.fileExists(atPath: root.appendingPathComponent("README.md").path)
    }

    /// CI sets KEEL_REQUIRE_SHARED=1: suites that read `../shared` then run (and fail) when it is missing, instead of
    /// switching themselves off.
    public static var required: Bool { ProcessInfo.processInfo.environment["KEEL_REQUIRE_SHARED"] == "1" }

    /// Whether suites that read the market data run: the data is there, or CI requires it.
    public static var runs: Bool { available || required }

    public static let skipReason: Comment = "real market data not found at \(root.path): put ../shared beside the repository or set KEEL_MARKET_DATA"

    public static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// A fresh folder for a test's own copies of data files.
    public static func scratchFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("keel-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes the header and the rows of `source` that `keep` selects (by row index, header excluded).
    public static func copy(_ relative: String, to target: URL, keep: (Int, String) -> Bool = { _, _ in true }) throws {
        let text = try String(contentsOfFile: path(relative), encoding: .utf8)
        var lines = text.split(whereSeparator: \.isNewline).map(String.init)
        let header = lines.removeFirst()
        let kept = lines.enumerated().filter { keep($0.offset, $0.element) }.map(\.element)
        try ([header] + kept).joined(separator: "\n").appending("\n").write(to: target, atomically: true, encoding: .utf8)
    }

    public static func rowCount(_ relative: String) throws -> Int {
        try String(contentsOfFile: path(relative), encoding: .utf8).split(whereSeparator: \.isNewline).count - 1
    }
}
