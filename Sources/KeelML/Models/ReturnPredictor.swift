import Foundation
import KeelCore

/// Anything that turns price histories into return predictions; baseline and trained models alike.
public protocol ReturnPredictor: Sendable {
    /// Name and version, stored with every prediction and batch for lineage.
    var modelVersion: String { get }

    /// Predictions for the symbols that have enough history at `asOf`, using bars up to `asOf` only.
    func predict(histories: [BarSeries], asOf: Date) -> [ReturnPrediction]
}
