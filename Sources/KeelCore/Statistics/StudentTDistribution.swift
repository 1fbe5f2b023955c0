import Foundation

/// Student's t distribution: the critical values of a t-statistic resting on few independent observations.
public enum StudentTDistribution {
    /// The x with P(T <= x) = p for `degreesOfFreedom` >= 1: exact for 1 and 2 degrees of freedom, otherwise the
    /// Cornish-Fisher expansion around the normal quantile (four terms; within 0.3% of the exact value from 3
    /// degrees of freedom at the quantiles a gate uses).
    public static func quantile(_ p: Double, degreesOfFreedom: Double) -> Double {
        guard p.isFinite, p > 0, p < 1, degreesOfFreedom >= 1 else { return p == 1 ? .infinity : (p == 0 ? -.infinity : .nan) }
        let v = degreesOfFreedom
        if v == 1 { return tan(Double.pi * (p - 0.5)) }
        if v == 2 { return (2 * p - 1) / (2 * p * (1 - p)).squareRoot() }
        if !v.isFinite { return NormalDistribution.quantile(p) }
        let z = NormalDistribution.quantile(p)
        let z2 = z * z, z3 = z2 * z, z5 = z3 * z2, z7 = z5 * z2, z9 = z7 * z2
        let g1 = (z3 + z) / 4
        let g2 = (5 * z5 + 16 * z3 + 3 * z) / 96
        let g3 = (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / 384
        let g4 = (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / 92160
        return z + g1 / v + g2 / (v * v) + g3 / (v * v * v) + g4 / (v * v * v * v)
    }
}
