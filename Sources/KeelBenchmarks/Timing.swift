import Foundation

/// Wall-clock timing of repeated runs: best and median, in milliseconds.
struct Timing {
    var samples: [Double] = []

    static func measure(repetitions: Int, _ body: () -> Void) -> Timing {
        var timing = Timing()
        for _ in 0..<repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            timing.samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return timing
    }

    var best: Double { samples.min() ?? .nan }
    var median: Double { samples.sorted()[samples.count / 2] }
}
