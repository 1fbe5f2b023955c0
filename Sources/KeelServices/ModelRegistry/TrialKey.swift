import Foundation
import KeelCore
import KeelStore

/// What makes two trainings tries on the same data: the family (return models or the RL policy), the universe
/// (as a set) and the date range. Horizon, model type and parameters are choices made on that data, so trying
/// them counts.
enum TrialKey {
    static func of(_ model: NewMLModel) -> String {
        let symbols = ((try? StoredJSON.decode([String].self, model.symbols)) ?? []).map { $0.uppercased() }
        let text = [model.family.rawValue, Set(symbols).sorted().joined(separator: ","), CivilDay(model.dataFrom).description,
                    CivilDay(model.dataTo).description].joined(separator: "|")
        return Digest.sha256(text)
    }
}

/// A version's place among the trials on its data: its number when judged, and how many there are now.
public struct TrialSummary: Sendable, Hashable {
    public var number: Int
    public var onSameData: Int
}
