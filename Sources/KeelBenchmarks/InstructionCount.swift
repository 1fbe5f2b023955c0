import Foundation

/// Instructions a kernel executes, counted by callgrind in a child run of this executable (`InstructionProbe`): a
/// figure that does not move with machine noise, so a regression in the engine's or the indicators' loops shows even
/// where times scatter. This machine's virtual CPU exposes no hardware counters (`perf stat` reports instructions
/// as not supported), so the count is valgrind's: every instruction of the counted call, in user space.
///
/// Valgrind 3.19 (Debian 12) cannot read the DWARF 5 debug info Swift emits, so it runs a copy with the debug info
/// stripped (`objcopy --strip-debug`; the symbols it matches stay), and it crashes in Swift's async main, so the probe
/// runs before it (`main.swift`).
enum InstructionCount {
    struct Count {
        var instructions: Int
        var bars: Int
        /// The kernel's result in the counted run.
        var result: [String: Double]

        var perBar: Double { Double(instructions) / Double(bars) }
    }

    enum Failure: Error, CustomStringConvertible {
        case missingTool(String)
        case failed(String)

        var description: String {
            switch self {
            case .missingTool(let tool): "\(tool) not found (apt-get install valgrind binutils)"
            case .failed(let why): why
            }
        }
    }

    /// Counts `kernel` over `bars` bars.
    static func measure(_ kernel: InstructionProbe.Kernel, bars: Int) -> Result<Count, Failure> {
        guard let valgrind = executable("valgrind") else { return .failure(.missingTool("valgrind")) }
        guard let objcopy = executable("objcopy") else { return .failure(.missingTool("objcopy")) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keel-instructions-\(UUID().uuidString)")
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            return .failure(.failed("cannot create \(folder.path): \(error)"))
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        let own = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let stripped = folder.appendingPathComponent("probe").path
        guard BacktestBenchmark.shell(objcopy, ["--strip-debug", own, stripped]) != nil else { return .failure(.failed("objcopy could not copy \(own)")) }
        let out = folder.appendingPathComponent("callgrind.out").path
        guard let printed = BacktestBenchmark.shell(valgrind, ["--tool=callgrind", "--callgrind-out-file=\(out)", "--collect-atstart=no",
                                           "--toggle-collect=\(kernel.measuredFunction)", stripped, InstructionProbe.command, kernel.rawValue,
                                           String(bars)]) else {
            return .failure(.failed("callgrind's run of the \(kernel.rawValue) probe failed"))
        }
        var result: [String: Double] = [:]
        for line in printed.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]) { result[String(parts[0])] = value }
        }
        guard !result.isEmpty else { return .failure(.failed("the \(kernel.rawValue) probe printed no result")) }
        guard let text = try? String(contentsOfFile: out, encoding: .utf8), let instructions = totals(text), instructions > 0 else {
            return .failure(.failed("callgrind counted nothing in \(kernel.measuredFunction)"))
        }
        return .success(Count(instructions: instructions, bars: bars, result: result))
    }

    /// Counts `kernel` and prints the count; the figures for the command's JSON (`instructions` null, with the reason,
    /// when valgrind is missing). A counted run whose result differs from the timed one (`sameResult`) fails the command.
    static func report(_ kernel: InstructionProbe.Kernel, bars: Int, to report: BenchmarkReport,
                       sameResult: ([String: Double]) -> Bool) -> [String: Any] {
        switch measure(kernel, bars: bars) {
        case .success(let count):
            let same = sameResult(count.result)
            report.check(same, "the \(kernel.rawValue) run callgrind counted gave another result than the timed one")
            report.line(String(format: "instructions (callgrind, one pass over %d bars): %d, %.1f per bar%@", count.bars, count.instructions, count.perBar,
                               same ? "" : " (a different result: NOT the timed run)"))
            return ["instructions": count.instructions, "instructions_per_bar": count.perBar]
        case .failure(let failure):
            report.line("instructions: not counted: \(failure)")
            return ["instructions": NSNull(), "instructions_not_counted": failure.description]
        }
    }

    /// The collected instruction total of a callgrind output file (`totals:`, else `summary:`).
    static func totals(_ text: String) -> Int? {
        for key in ["totals:", "summary:"] {
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key) }),
               let value = Int(line.dropFirst(key.count).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") {
                return value
            }
        }
        return nil
    }

    static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
