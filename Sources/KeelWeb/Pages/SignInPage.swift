import Plot


public enum SignInPage {
    public static func render(_ model: SignInPage.Model) -> String {
        PageLayout.document(title: "Sign in", section: nil, viewer: nil, content: .div(
            .class("card"), .style("max-width:28rem;margin:2rem auto"),
            .h1("Sign in"),
            .unwrap(model.error) { .p(.class("error"), .id("sign-in-error"), .attribute(named: "role", value: "alert"), .text($0)) },
            .form(
                .method(.post), .action(to: .signIn),
                .input(.type(.hidden), .name("csrf"), .value(Markup.escape(model.csrfToken))),
                .input(.type(.hidden), .name("next"), .value(Markup.escape(model.next))),
                .label(.for("user_id"), "User id"),
                .input(.type(.text), .name("user_id"), .id("user_id"), .value(Markup.escape(model.userID)), .autocomplete(false), .required(true)),
                .label(.for("password"), "Password"),
                .input(.type(.password), .name("password"), .id("password"), .required(true)),
                .p(.button(.type(.submit), "Sign in"))
            )
        ))
    }
}

extension SignInPage {
    /// The sign-in form: what was typed is kept, the error is shown beside the form, and where to go next is carried.
    public struct Model: Sendable, Hashable {
        public var userID: String
        public var error: String?
        /// The page the user asked for before signing in (a path inside the workspace).
        public var next: String
        public var csrfToken: String

        public init(userID: String = "", error: String? = nil, next: String = WorkspaceRoute.overview.path, csrfToken: String) {
            self.userID = userID
            self.error = error
            self.next = next
            self.csrfToken = csrfToken
        }
    }
}
