import Foundation

/// CPU seconds from /proc (Linux): this process, and every PostgreSQL server process on the machine (the server
/// runs locally in the benchmarks). A backend that exits between two readings takes its CPU with it, so the pool's
/// long-lived connections are what is counted.
enum ProcessCPU {
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// utime + stime of one /proc/<pid>/stat, with the command name.
    static func read(_ path: String) -> (command: String, seconds: Double)? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")") else { return nil }
        let command = String(text[text.index(after: open)..<close])
        // Fields after the command: state is field 3, utime 14 and stime 15 (1-based over the whole line).
        let rest = text[text.index(close, offsetBy: 2)...].split(separator: " ")
        guard rest.count > 12, let user = Double(rest[11]), let system = Double(rest[12]) else { return nil }
        return (command, (user + system) / ticksPerSecond)
    }

    static func own() -> Double { read("/proc/self/stat")?.seconds ?? .nan }

    static func postgres() -> Double {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var total = 0.0
        for entry in entries where entry.allSatisfy(\.isNumber) {
            if let stat = read("/proc/\(entry)/stat"), stat.command == "postgres" { total += stat.seconds }
        }
        return total
    }

    /// The peak resident set of this process so far, in megabytes (VmHWM).
    static func peakResidentMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return .nan }
        return kilobytes / 1024
    }
}
