import KeelCore
import Testing

@Suite("Inline floor")
struct InlineFloorTests {
    static func same(_ x: Double) -> Bool {
        let expected = x.rounded(.down), actual = x.flooredInline
        return expected.isNaN ? actual.isNaN : expected.bitPattern == actual.bitPattern
    }

    @Test("bit for bit rounded(.down) on the edges: zeros, subnormals, whole and half values, 2^52 and 2^63 either side, infinities, NaN")
    func edges() {
        let two52 = 4_503_599_627_370_496.0, two63 = 9_223_372_036_854_775_808.0
        var values: [Double] = [0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude, -.leastNormalMagnitude,
                                0.5, -0.5, 1, -1, 1.5, -1.5, 0.999_999_999_999_999_9, -0.999_999_999_999_999_9, .infinity, -.infinity, .nan,
                                .greatestFiniteMagnitude, -.greatestFiniteMagnitude, two63, -two63, two63.nextUp, (-two63).nextDown]
        for base in [two52, -two52, 1e15, -1e15, 123_456.0, -123_456.0] {
            values += [base, base.nextUp, base.nextDown, base + 0.5, base - 0.5]
        }
        for x in values { #expect(Self.same(x), "\(x): \(x.rounded(.down)) vs \(x.flooredInline)") }
    }

    @Test("bit for bit rounded(.down) on a million seeded doubles of every magnitude and sign")
    func seeded() {
        var generator = SeededGenerator(seed: 2026)
        var mismatches = 0
        for _ in 0..<1_000_000 {
            // Any bit pattern: every exponent, sign and fraction, NaNs included.
            let x = Double(bitPattern: generator.next())
            let scaled = Double.random(in: -1e7...1e7, using: &generator)
            if !Self.same(x) || !Self.same(scaled) { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }
}
