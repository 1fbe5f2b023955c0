import Foundation
import KeelServices
import Testing

/// The pure rules behind logins (no database): the throttle curve, the password policy, user ids.
@Suite("Auth policies")
struct AuthPolicyTests {
    @Test("the lockout is free for the first failures, then doubles up to its ceiling; old failures are forgotten")
    func throttleCurve() {
        let policy = LoginThrottlePolicy.perUser
        #expect((0...5).allSatisfy { policy.lockout(afterFailures: $0) == 0 })
        #expect(policy.lockout(afterFailures: 6) == 1)
        #expect(policy.lockout(afterFailures: 7) == 2)
        #expect(policy.lockout(afterFailures: 10) == 16)
        #expect(policy.lockout(afterFailures: 1_000_000) == 15 * 60)
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(policy.failures(after: 9, lastFailureAt: now.addingTimeInterval(-60), now: now) == 10)
        #expect(policy.failures(after: 9, lastFailureAt: now.addingTimeInterval(-16 * 60), now: now) == 1)
        #expect(LoginThrottlePolicy.perAddress.lockout(afterFailures: 20) == 0)
    }

    @Test("passwords: length, common words and their stems, repetition, the user id")
    func passwordRules() throws {
        for weak in ["elevenchars", "Password2024!", "LetMeIn123456", "aaaaaaaaaaaaaaa", "abcdefghijklmn", "ababababababab", "frank.miller", "rellim.knarf"] {
            #expect(throws: ServiceError.self, "\(weak)") { try PasswordPolicy.check(weak, userID: "frank.miller") }
        }
        try PasswordPolicy.check("tulip-granite-harbour", userID: "frank.miller")
        #expect(PasswordPolicy.bcryptInput("short-enough") == "short-enough")
        let long = String(repeating: "x", count: 100)
        #expect(PasswordPolicy.bcryptInput(long).utf8.count == 44)
        #expect(PasswordPolicy.bcryptInput(long) != PasswordPolicy.bcryptInput(long + "y"))
    }

    @Test("user ids fold to lower-case ASCII; look-alikes and reserved names are refused")
    func identities() throws {
        #expect(try UserIdentity.normalise("Ada.Lovelace@Example.com") == "ada.lovelace@example.com")
        for bad in ["ad", "ада", "ad a", "a\u{0000}b", String(repeating: "a", count: 65)] {
            #expect(throws: ServiceError.self, "\(bad)") { try UserIdentity.normalise(bad) }
        }
        for reserved in ["system", "client-12", "CLIENT_3", "client.4"] {
            #expect(throws: ServiceError.self, "\(reserved)") { try UserIdentity.registrable(reserved) }
        }
        #expect(try UserIdentity.registrable("client-services") == "client-services")
    }
}
