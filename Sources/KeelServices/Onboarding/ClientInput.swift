/// Client fields as a request supplies them; nil means "not given" (create) or "unchanged" (update).
public struct ClientInput: Sendable {
    public var firstName: String?
    public var lastName: String?
    public var email: String?
    public var phone: String?
    public var dateOfBirth: String?
    public var riskTolerance: String?
    public var investmentHorizonYears: Int?
    public var userID: String?
    /// Model portfolio to start the client's preferences with; by risk tolerance when absent.
    public var portfolioID: Int?

    public init(firstName: String? = nil, lastName: String? = nil, email: String? = nil, phone: String? = nil, dateOfBirth: String? = nil,
                riskTolerance: String? = nil, investmentHorizonYears: Int? = nil, userID: String? = nil, portfolioID: Int? = nil) {
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
        self.phone = phone
        self.dateOfBirth = dateOfBirth
        self.riskTolerance = riskTolerance
        self.investmentHorizonYears = investmentHorizonYears
        self.userID = userID
        self.portfolioID = portfolioID
    }

    /// True when a request names none of the fields: an update that would silently do nothing.
    var isEmpty: Bool {
        firstName == nil && lastName == nil && email == nil && phone == nil && dateOfBirth == nil && riskTolerance == nil
            && investmentHorizonYears == nil && userID == nil && portfolioID == nil
    }

    static let updatableFields = "first_name, last_name, email, phone, date_of_birth, risk_tolerance, investment_horizon_years, user_id"

    static let riskTolerances = ["conservative", "moderate", "aggressive"]

    /// The standard model portfolio for a risk tolerance (3 defensive, 2 balanced, 1 growth).
    static func defaultPortfolio(for riskTolerance: String) -> Int {
        switch riskTolerance {
        case "conservative": 3
        case "aggressive": 1
        default: 2
        }
    }
}
