import Crypto
import Foundation
import KeelCore

/// What a trained version can be traced back to: the exact bars it learned from and the build that trained it.
enum TrainingLineage {
    /// SHA-256 over every bar used, symbol by symbol in order: symbol, then per bar the time and the five values
    /// as their IEEE-754 bits. Any changed, added or removed bar changes it.
    static func fingerprint(_ histories: [BarSeries]) -> String {
        var hasher = SHA256()
        for series in histories.sorted(by: { $0.symbol < $1.symbol }) {
            hasher.update(data: Data(series.symbol.utf8))
            hasher.update(data: Data([0]))
            var words: [UInt64] = []
            words.reserveCapacity(series.count * 6)
            for i in 0..<series.count {
                words += [series.timestamps[i].timeIntervalSince1970.bitPattern, series.open[i].bitPattern, series.high[i].bitPattern,
                          series.low[i].bitPattern, series.close[i].bitPattern, series.volume[i].bitPattern]
            }
            words.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        }
        return Digest.hex(hasher.finalize())
    }

    /// Keel's release and the SHA-256 of the running executable (first 16 hex digits): two builds from different
    /// sources never share it. Computed once per process.
    static let buildVersion: String = {
        let path = ProcessInfo.processInfo.arguments.first.map { URL(fileURLWithPath: $0).path } ?? ""
        let executable = FileManager.default.fileExists(atPath: "/proc/self/exe") ? "/proc/self/exe" : path
        guard let handle = FileHandle(forReadingAtPath: executable) else { return "keel \(release)" }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        let digest = Digest.hex(hasher.finalize())
        return "keel \(release) exe-sha256:\(digest.prefix(16))"
    }()

    static let release = "0.9.0"
}
