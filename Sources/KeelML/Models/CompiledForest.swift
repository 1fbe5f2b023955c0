/// The trees of an ensemble laid out for batch prediction.
///
/// Each tree is renumbered breadth first so a node's right child directly follows its left one, and a node is
/// one 16-byte record (threshold, feature, first child): a step is one record load, one feature load, a compare
/// and an add. Leaves point at themselves with a threshold of +∞, so every row of a batch takes exactly the
/// tree's depth in steps and the row loop has no branch on whether a row has arrived. The batch advances one
/// level at a time across all its rows, so the rows' independent loads overlap instead of waiting on each other.
struct CompiledForest: Sendable {
    struct Node: Sendable {
        /// A row goes right when its value is above this (+∞ at a leaf, so it stays).
        var threshold: Double
        var feature: Int32
        /// The left child's index; the right child is the next one. A leaf's own index.
        var firstChild: Int32
    }

    private(set) var nodes: [Node] = []
    private(set) var values: [Double] = []
    /// Per tree: its root's index and its depth (steps from the root to its deepest leaf).
    private(set) var trees: [(root: Int32, depth: Int32)] = []

    /// A node whose children would make a walk leave the tree (out of range, or seen before) becomes a leaf with its
    /// stored value: a damaged artifact predicts, it never traps or loops. A feature at or beyond `featureCount` is
    /// missing in every row, so its node always goes left, as `RegressionTree.predict(features:)` takes it. A tree whose
    /// columns differ in length adds nothing.
    init(_ source: [RegressionTree], featureCount: Int) {
        let total = source.reduce(0) { $0 + $1.feature.count }
        nodes.reserveCapacity(total)
        values.reserveCapacity(total)
        trees.reserveCapacity(source.count)
        // Breadth-first order: (node in the source tree, its index here, its level). One queue and one seen-mark array
        // for the whole forest (marked with the tree's number), so compiling allocates nothing per tree or node.
        var queue: [(old: Int32, new: Int32, level: Int32)] = []
        var seenBy = [Int32](repeating: -1, count: source.reduce(0) { max($0, $1.feature.count) })
        for (number, tree) in source.enumerated() {
            let count = tree.feature.count
            guard count > 0, tree.splitBin.count == count, tree.threshold.count == count, tree.left.count == count,
                  tree.right.count == count, tree.value.count == count else { continue }
            let mark = Int32(number)
            let root = nodes.count
            seenBy[0] = mark
            nodes.append(Node(threshold: .infinity, feature: 0, firstChild: Int32(root)))
            values.append(tree.value[0])
            queue.removeAll(keepingCapacity: true)
            queue.append((0, Int32(root), 0))
            var depth: Int32 = 0
            var head = 0
            while head < queue.count {
                let (old, new, level) = queue[head]
                head += 1
                depth = max(depth, level)
                let feature = Int(tree.feature[Int(old)]), left = Int(tree.left[Int(old)]), right = Int(tree.right[Int(old)])
                guard feature >= 0, (0..<count).contains(left), (0..<count).contains(right), left != right,
                      seenBy[left] != mark, seenBy[right] != mark else { continue }
                seenBy[left] = mark
                seenBy[right] = mark
                let firstChild = Int32(nodes.count)
                // A feature the rows do not have is missing in every row: the node always goes left.
                nodes[Int(new)] = feature < featureCount
                    ? Node(threshold: tree.threshold[Int(old)], feature: Int32(feature), firstChild: firstChild)
                    : Node(threshold: .infinity, feature: 0, firstChild: firstChild)
                nodes.append(Node(threshold: .infinity, feature: 0, firstChild: firstChild))
                nodes.append(Node(threshold: .infinity, feature: 0, firstChild: firstChild + 1))
                values.append(tree.value[left])
                values.append(tree.value[right])
                queue.append((Int32(left), firstChild, level + 1))
                queue.append((Int32(right), firstChild + 1, level + 1))
            }
            trees.append((Int32(root), depth))
        }
    }

    /// Adds every tree's leaf value, in tree order, to `output[i]` for row i of `features`, stored column by column
    /// (`features[f * rows + i]`, rows = `output.count`, every value finite or NaN: NaN compares false and goes left,
    /// as missing did in training). By column, because the rows at one node read the same feature: at the root one
    /// contiguous column, a level down a few, so the reads stay in the nearest cache where row by row they would not.
    func accumulate(columns features: UnsafeBufferPointer<Double>, into output: UnsafeMutableBufferPointer<Double>) {
        let rows = output.count
        guard rows > 0 else { return }
        var position = [Int32](repeating: 0, count: rows)
        nodes.withUnsafeBufferPointer { nodes in
            values.withUnsafeBufferPointer { values in
                position.withUnsafeMutableBufferPointer { position in
                    for (root, depth) in trees {
                        for row in 0..<rows { position[row] = root }
                        for _ in 0..<depth {
                            for row in 0..<rows {
                                let node = nodes[Int(position[row])]
                                let x = features[Int(node.feature) &* rows &+ row]
                                position[row] = node.firstChild &+ (x > node.threshold ? 1 : 0)
                            }
                        }
                        for row in 0..<rows { output[row] += values[Int(position[row])] }
                    }
                }
            }
        }
    }
}
