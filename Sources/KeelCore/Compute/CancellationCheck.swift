/// How a long computation learns it must stop: the engines call `checkpoint()` inside their long loops (each
/// boosting round and every few dozen tree splits, each RL episode, each walk-forward window, every few hundred
/// backtest bars), and it throws once the caller wants the work to end. Engines run on compute threads outside
/// Swift's task tree, so this is the one channel for a cancel, a lost lease or a shutdown to reach them.
public struct CancellationCheck: Sendable {
    private let check: @Sendable () throws -> Void

    public init(_ check: @escaping @Sendable () throws -> Void) {
        self.check = check
    }

    /// Work nobody will interrupt (command-line tools, tests, benchmarks).
    public static let never = CancellationCheck {}

    @inline(__always)
    public func checkpoint() throws { try check() }
}
