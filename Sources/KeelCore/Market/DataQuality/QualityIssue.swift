import Foundation

public enum QualitySeverity: String, Sendable, Codable, CaseIterable, Comparable {
    case warning, error, critical

    public static func < (a: QualitySeverity, b: QualitySeverity) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// What happens to a bar with an issue.
public enum QualityAction: String, Sendable, Codable, CaseIterable, Comparable {
    /// Stored and used, the issue recorded.
    case accept
    /// Stored but flagged: kept out of models and strategies until someone clears it.
    case quarantine
    /// Not stored.
    case reject

    public static func < (a: QualityAction, b: QualityAction) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

public enum QualityIssueKind: String, Sendable, Codable, CaseIterable {
    case missingSession = "missing_session"
    case outsideSession = "outside_session"
    case duplicateTimestamp = "duplicate_timestamp"
    case missingPrice = "missing_price"
    case nonPositivePrice = "non_positive_price"
    case ohlcInconsistent = "ohlc_inconsistent"
    case negativeVolume = "negative_volume"
    case missingVolume = "missing_volume"
    case zeroVolume = "zero_volume"
    case extremeReturn = "extreme_return"
    case unadjustedSplit = "unadjusted_split"

    public var severity: QualitySeverity {
        switch self {
        case .missingPrice, .nonPositivePrice, .negativeVolume, .duplicateTimestamp: .critical
        case .ohlcInconsistent, .unadjustedSplit: .error
        case .missingSession, .outsideSession, .missingVolume, .zeroVolume, .extremeReturn: .warning
        }
    }
}

public struct QualityIssue: Sendable, Hashable, Codable {
    public var kind: QualityIssueKind
    public var severity: QualitySeverity
    public var timestamp: Date
    /// Index of the bar in the validated series; nil for a bar that is missing.
    public var barIndex: Int?
    public var detail: String

    public init(kind: QualityIssueKind, timestamp: Date, barIndex: Int?, detail: String) {
        self.kind = kind
        self.severity = kind.severity
        self.timestamp = timestamp
        self.barIndex = barIndex
        self.detail = detail
    }
}

/// What each severity does to its bar.
public struct QualityPolicy: Sendable, Hashable {
    public var actions: [QualitySeverity: QualityAction]

    public init(actions: [QualitySeverity: QualityAction]) {
        self.actions = actions
    }

    /// Critical issues are rejected, errors quarantined, warnings accepted.
    public static let standard = QualityPolicy(actions: [.critical: .reject, .error: .quarantine, .warning: .accept])

    public func action(for severity: QualitySeverity) -> QualityAction { actions[severity] ?? .accept }
}
