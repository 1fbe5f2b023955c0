public enum OrderSide: String, Sendable, Codable, CaseIterable {
    case buy
    case sell

    public var sign: Int { self == .buy ? 1 : -1 }
}
