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
        nodes.reserveCapacity(source.reduce(0) { $0 + $1.feature.count })
        values.reserveCapacity(nodes.capacity)
        var queue: [(old: Int, new: Int, level: Int32)] = []
        var seen: [Bool] = []
        for tree in source {
            let count = tree.feature.count
            guard count > 0, tree.splitBin.count == count, tree.threshold.count == count, tree.left.count == count,
                  tree.right.count == count, tree.value.count == count else { continue }
            let root = nodes.count
            seen = [Bool](repeating: false, count: count)
            seen[0] = true
            nodes.append(Node(threshold: .infinity, feature: 0, firstChild: Int32(root)))
            values.append(tree.value[0])
            queue.removeAll(keepingCapacity: true)
            queue.append((0, root, 0))
            var depth: Int32 = 0
            var head = 0
            while head < queue.count {
                let (old, new, level) = queue[head]
                head += 1
                depth = max(depth, level)
                let feature = Int(tree.feature[old]), left = Int(tree.left[old]), right = Int(tree.right[old])
                guard feature >= 0, (0..<count).contains(left), (0..<count).contains(right), left != right, !seen[left], !seen[right] else { continue }
                seen[left] = true
                seen[right] = true
                let firstChild = nodes.count
                // A feature the rows do not have is missing in every row: the node always goes left.
                nodes[new] = feature < featureCount
                    ? Node(threshold: tree.threshold[old], feature: Int32(feature), firstChild: Int32(firstChild))
                    : Node(threshold: .infinity, feature: 0, firstChild: Int32(firstChild))
                for (child, index) in [(left, firstChild), (right, firstChild + 1)] {
                    nodes.append(Node(threshold: .infinity, feature: 0, firstChild: Int32(index)))
                    values.append(tree.value[child])
                    queue.append((child, index, level + 1))
                }
            }
            trees.append((Int32(root), depth))
        }
    }

    /// Adds every tree's leaf value, in tree order, to `output[i]` for row i of `features` (row-major,
    /// `featureCount` per row, every value finite or NaN: NaN compares false and goes left, as missing did in training).
    func accumulate(features: UnsafeBufferPointer<Double>, featureCount: Int, into output: UnsafeMutableBufferPointer<Double>) {
        let rows = output.count
        guard rows > 0 else { return }
        var position = [Int32](repeating: 0, count: rows)
        nodes.withUnsafeBufferPointer { nodes in
            values.withUnsafeBufferPointer { values in
                position.withUnsafeMutableBufferPointer { position in
                    for (root, depth) in trees {
                        for row in 0..<rows { position[row] = root }
                        for _ in 0..<depth {
                            var base = 0
                            for row in 0..<rows {
                                let node = nodes[Int(position[row])]
                                let x = features[base + Int(node.feature)]
                                position[row] = node.firstChild &+ (x > node.threshold ? 1 : 0)
                                base += featureCount
                            }
                        }
                        for row in 0..<rows { output[row] += values[Int(position[row])] }
                    }
                }
            }
        }
    }
}
