import Foundation
@testable import KeelCore
import Testing

@Suite("Moving-average crossover")
struct MovingAverageCrossoverTests {
    /// The strategy as it was before its steady-state shortcut: every bar through the warm-up's tests.
    struct Reference {
        let fast: Int, slow: Int, quantity: Double, exponential: Bool
        var fastSum = 0.0, slowSum = 0.0, fastEMA = 0.0, slowEMA = 0.0

        mutating func decide(_ close: [Double], _ t: Int) -> SignalDecision {
            let c = close[t]
            fastSum += c
            slowSum += c
            if t >= fast { fastSum -= close[t - fast] }
            if t >= slow { slowSum -= close[t - slow] }
            guard t >= slow - 1 else {
                if t == fast - 1 { fastEMA = fastSum / Double(fast) }
                if t >= fast { fastEMA += (c - fastEMA) * 2 / Double(fast + 1) }
                return .hold
            }
            let signal: Bool
            if exponential {
                if t == slow - 1 { slowEMA = slowSum / Double(slow) } else { slowEMA += (c - slowEMA) * 2 / Double(slow + 1) }
                if t >= fast { fastEMA += (c - fastEMA) * 2 / Double(fast + 1) }
                signal = fastEMA > slowEMA
            } else {
                signal = fastSum / Double(fast) > slowSum / Double(slow)
            }
            return .target(signal ? quantity : 0)
        }
    }

    @Test("every decision, SMA and EMA, equals the bar-by-bar reference on seeded walks, short series and near-ties included")
    func decisionsMatchTheReference() {
        var generator = SeededGenerator(seed: 77)
        var compared = 0, flips = 0
        for trial in 0..<300 {
            let fast = 1 + Int(generator.next() % 40), slow = fast + 1 + Int(generator.next() % 120)
            let count = trial % 10 == 0 ? Int(generator.next() % UInt64(slow + 2)) : 200 + Int(generator.next() % 800)
            // Prices on a coarse grid repeat, so the two means tie exactly now and then.
            var price = 100.0
            let close = (0..<count).map { _ in
                price = max(1, price + (trial % 3 == 0 ? (Double(generator.next() % 5) - 2) * 0.25 : generator.nextNormal()))
                return price
            }
            let exponential = trial % 2 == 1
            var strategy = MovingAverageCrossover(fast: fast, slow: slow, quantity: 10, exponential: exponential)
            var reference = Reference(fast: fast, slow: slow, quantity: 10, exponential: exponential)
            var last: SignalDecision?
            close.withUnsafeBufferPointer { c in
                for t in 0..<count {
                    let decision = strategy.decide(BarWindow(current: t, open: c, high: c, low: c, close: c, volume: c))
                    let expected = reference.decide(close, t)
                    #expect(decision == expected, "fast \(fast), slow \(slow), \(exponential ? "EMA" : "SMA"), bar \(t)")
                    if let last, last != decision { flips += 1 }
                    last = decision
                    compared += 1
                }
            }
        }
        #expect(compared > 100_000 && flips > 1_000, "the walks must cross: \(flips) changes of signal")
    }
}
