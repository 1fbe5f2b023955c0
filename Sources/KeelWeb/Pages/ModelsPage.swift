import Foundation
import Plot

extension ModelsPage {
    /// The model registry as the workspace shows it: versions with their gate verdicts, one version's walk-forward
    /// evaluation against the baselines, deploy and rollback behind a confirmation, the deployment history, and a
    /// training form whose job is watched on the page.
    public struct Model: Sendable {
        public struct Version: Sendable, Hashable {
            public var modelID: String
            public var family: String
            public var modelType: String
            public var version: String
            public var status: String
            public var gatePassed: Bool?
            public var shadow: Bool
            public var createdAt: Date
            public var sharpe: Double?
            public var rankIC: Double?

            public init(modelID: String, family: String, modelType: String, version: String, status: String, gatePassed: Bool?, shadow: Bool,
                        createdAt: Date, sharpe: Double?, rankIC: Double?) {
                self.modelID = modelID
                self.family = family
                self.modelType = modelType
                self.version = version
                self.status = status
                self.gatePassed = gatePassed
                self.shadow = shadow
                self.createdAt = createdAt
                self.sharpe = sharpe
                self.rankIC = rankIC
            }
        }

        /// One portfolio replay's figures: the model's or a baseline's.
        public struct Figures: Sendable, Hashable {
            public var name: String
            public var sharpe: Double
            public var cagr: Double
            public var maxDrawdown: Double
            public var turnover: Double

            public init(name: String, sharpe: Double, cagr: Double, maxDrawdown: Double, turnover: Double) {
                self.name = name
                self.sharpe = sharpe
                self.cagr = cagr
                self.maxDrawdown = maxDrawdown
                self.turnover = turnover
            }
        }

        public struct Detail: Sendable {
            public var version: Version
            public var symbols: [String]
            public var dataFrom: Date
            public var dataTo: Date
            public var horizonDays: Int
            public var gateReasons: [String]
            /// What the gate measured against what it required (trials, corrected thresholds, holdout), as label and text.
            public var gateEvidence: [(label: String, value: String)]
            /// Out-of-sample rank IC per walk-forward window (by the window's last test day), model and momentum.
            public var windowIC: [(date: Date, model: Double, momentum: Double)]
            public var figures: [Figures]
            public var error: String?

            public init(version: Version, symbols: [String], dataFrom: Date, dataTo: Date, horizonDays: Int, gateReasons: [String],
                        gateEvidence: [(label: String, value: String)] = [], windowIC: [(date: Date, model: Double, momentum: Double)], figures: [Figures], error: String?) {
                self.version = version
                self.symbols = symbols
                self.dataFrom = dataFrom
                self.dataTo = dataTo
                self.horizonDays = horizonDays
                self.gateReasons = gateReasons
                self.gateEvidence = gateEvidence
                self.windowIC = windowIC
                self.figures = figures
                self.error = error
            }
        }

        public struct Deployment: Sendable, Hashable {
            public var family: String
            public var version: String
            public var previousVersion: String?
            public var action: String
            public var reason: String?
            public var by: String
            public var at: Date

            public init(family: String, version: String, previousVersion: String?, action: String, reason: String?, by: String, at: Date) {
                self.family = family
                self.version = version
                self.previousVersion = previousVersion
                self.action = action
                self.reason = reason
                self.by = by
                self.at = at
            }
        }

        /// A training job the page follows (after the form started it).
        public struct Training: Sendable, Hashable {
            public var jobID: String
            public var modelID: String?
            public var status: String
            public var progress: Double
            public var message: String?
            public var error: String?

            public init(jobID: String, modelID: String?, status: String, progress: Double, message: String?, error: String?) {
                self.jobID = jobID
                self.modelID = modelID
                self.status = status
                self.progress = progress
                self.message = message
                self.error = error
            }
        }

        /// What the training form holds: as typed, with the API's error beside its field.
        public struct TrainingForm: Sendable, Hashable {
            public var modelType = "ridge"
            public var portfolioID = ""
            public var symbols = ""
            public var from = ""
            public var to = ""
            public var horizonDays = "21"
            public var errors: [String: String] = [:]
            public var message: String?

            public init(modelType: String = "ridge", portfolioID: String = "", symbols: String = "", from: String = "", to: String = "",
                        horizonDays: String = "21", errors: [String: String] = [:], message: String? = nil) {
                self.modelType = modelType
                self.portfolioID = portfolioID
                self.symbols = symbols
                self.from = from
                self.to = to
                self.horizonDays = horizonDays
                self.errors = errors
                self.message = message
            }
        }

        /// An action waiting for the advisor to confirm it.
        public enum Confirmation: Sendable, Hashable {
            case deploy(modelID: String, version: String, gatePassed: Bool)
            case rollback(family: String)
        }

        public var viewer: Viewer
        public var versions: [Version]
        public var selected: Detail?
        public var deployed: [String: String]
        public var deployments: [Deployment]
        public var training: Training?
        public var portfolios: [(id: Int, name: String)]
        public var form: TrainingForm
        public var confirmation: Confirmation?
        /// Deploying past a failed gate takes an admin and a reason.
        public var canOverride: Bool
        public var notice: String?
        public var error: String?

        public init(viewer: Viewer, versions: [Version], selected: Detail?, deployed: [String: String], deployments: [Deployment], training: Training?,
                    portfolios: [(id: Int, name: String)], form: TrainingForm, confirmation: Confirmation?, canOverride: Bool, notice: String?, error: String?) {
            self.viewer = viewer
            self.versions = versions
            self.selected = selected
            self.deployed = deployed
            self.deployments = deployments
            self.training = training
            self.portfolios = portfolios
            self.form = form
            self.confirmation = confirmation
            self.canOverride = canOverride
            self.notice = notice
            self.error = error
        }
    }
}

public enum ModelsPage {
    /// The texts an action's outcome code shows (fixed: a link cannot make the page say anything).
    public static let messages: [String: String] = [
        "deployed": "The version is deployed.", "rolled_back": "The family was rolled back.", "training": "Training started: its progress is shown below.",
        "gate_failed": "That version did not pass the gate: deploying it needs an admin and a reason.", "forbidden": "Only an admin can deploy past a failed gate.",
        "model_not_deployable": "Only a trained or retired version can be deployed.", "nothing_to_roll_back": "There is no earlier version to roll back to.",
        "not_found": "There is no such version.",
    ]

    public static func render(_ model: Model) -> String {
        let live = model.training.map { $0.status == "queued" || $0.status == "running" } ?? false
        return PageLayout.document(title: "Models", section: .models, viewer: model.viewer, refreshSeconds: live ? 3 : nil, content: .group(
            .h1("Models"),
            Controls.banners(notice: model.notice, error: model.error),
            .unwrap(model.confirmation) { confirm($0, model: model) },
            .unwrap(model.training) { training($0) },
            .div(.class("grid"),
                 .forEach(["ml", "rl"]) { family in
                     .div(.class("card"),
                          .div(.class("label"), .text(family == "ml" ? "Deployed return model" : "Deployed RL policy")),
                          .div(.class("figure"), .text(model.deployed[family] ?? "none")),
                          .if(model.deployments.contains { $0.family == family && $0.previousVersion != nil },
                              .a(.href(to: .models, ["confirm": "rollback", "family": family]), "Roll back…")))
                 }),
            .h2(.style("margin-top:1rem"), "Versions"),
            .if(model.versions.isEmpty, .p("No versions yet: train one below.")),
            .table(
                .tr(.th("Version"), .th("Family"), .th("Type"), .th("Status"), .th("Gate"), .th("Rank IC"), .th("Sharpe"), .th("Created")),
                .forEach(model.versions) { version in
                    .tr(.td(.a(.href(to: .models, ["model": version.modelID]), .text(version.version))), .td(.text(version.family)), .td(.text(version.modelType)),
                        .td(.text(version.status + (version.shadow ? " (shadow)" : ""))),
                        .td(.class(version.gatePassed == true ? "good" : version.gatePassed == false ? "bad" : ""),
                            .text(version.gatePassed.map { $0 ? "passed" : "failed" } ?? "–")),
                        .td(.text(version.rankIC.map { String(format: "%.3f", $0) } ?? "–")), .td(.text(version.sharpe.map { String(format: "%.2f", $0) } ?? "–")),
                        .td(.text(Format.time(version.createdAt))))
                }
            ),
            .unwrap(model.selected) { detail($0, model: model) },
            .h2(.style("margin-top:1rem"), "Deployment history"),
            .if(model.deployments.isEmpty, .p("Nothing deployed yet.")),
            .table(
                .tr(.th("When"), .th("Family"), .th("Action"), .th("Version"), .th("Replaced"), .th("By"), .th("Reason")),
                .forEach(model.deployments) { entry in
                    .tr(.td(.text(Format.time(entry.at))), .td(.text(entry.family)), .td(.class(entry.action == "override" ? "warn" : ""), .text(entry.action)),
                        .td(.text(entry.version)), .td(.text(entry.previousVersion ?? "–")), .td(.text(entry.by)), .td(.text(entry.reason ?? "")))
                }
            ),
            trainingForm(model)
        ))
    }

    static func training(_ job: Model.Training) -> Node<HTML.BodyContext> {
        let progress = min(max(job.progress.isFinite ? job.progress : 0, 0), 1)
        return .section(
            .class("card"), .style("margin-bottom:1rem"),
            .h2(.text("Training job: \(job.status)")),
            Controls.progress(progress, label: "training progress"),
            .text(" " + Format.percent(progress) + (job.message.map { " · " + $0 } ?? "")),
            .unwrap(job.error) { .p(.class("error"), .text(String($0.prefix(300)))) },
            .if(job.status == "queued" || job.status == "running", .p(.class("label"), "This page refreshes every 3 seconds while the job runs.")),
            .unwrap(job.modelID) { .p(.a(.href(to: .models, ["model": $0]), "The version being trained")) }
        )
    }

    static func confirm(_ confirmation: Model.Confirmation, model: Model) -> Node<HTML.BodyContext> {
        let csrf = Node<HTML.FormContext>.input(.type(.hidden), .name("csrf"), .value(Markup.escape(model.viewer.csrfToken)))
        switch confirmation {
        case let .deploy(modelID, version, gatePassed):
            return .section(
                .class("card"), .style("margin-bottom:1rem;border-color:#7a4d00"),
                .h2(.text("Deploy \(version)?")),
                .p(.text(gatePassed ? "From the next prediction on, this version serves every client of its family."
                                    : "This version did not pass the deployment gate. Deploying it anyway takes an admin and a reason, recorded in the history.")),
                .form(
                    .method(.post), .action(to: .deployModel(modelID)), csrf,
                    .if(!gatePassed, .group(
                        .label(.for("override-reason"), "Reason for deploying past the gate"),
                        .input(.type(.text), .name("override_reason"), .id("override-reason"), .required(true), .attribute(named: "maxlength", value: "500")),
                        .if(!model.canOverride, .p(.class("error"), "Only an admin can deploy past a failed gate."))
                    )),
                    .p(.button(.type(.submit), "Yes, deploy"),
                       .text(" "), .a(.href(to: .models, ["model": modelID]), "Cancel"))
                )
            )
        case let .rollback(family):
            return .section(
                .class("card"), .style("margin-bottom:1rem;border-color:#7a4d00"),
                .h2(.text("Roll back the \(family == "ml" ? "return model" : "RL policy")?")),
                .p("The version the last deployment replaced serves again; the current one is retired."),
                .form(.method(.post), .action(to: .rollbackModel), csrf, .input(.type(.hidden), .name("family"), .value(Markup.escape(family))),
                      .p(.button(.class("danger"), .type(.submit), "Yes, roll back"), .text(" "), .a(.href(to: .models), "Cancel")))
            )
        }
    }

    static func detail(_ detail: Model.Detail, model: Model) -> Node<HTML.BodyContext> {
        let version = detail.version
        let ic = LineChart(title: "\(version.version): out-of-sample rank IC per walk-forward window",
                           series: [.init(name: "model", points: detail.windowIC.map { ($0.date, $0.model) }),
                                    .init(name: "momentum baseline", points: detail.windowIC.map { ($0.date, $0.momentum) }, colour: "#8a94a3")],
                           format: { String(format: "%.3f", $0) }).node()
        let sharpe = BarChart(title: "\(version.version): out-of-sample Sharpe against the baselines",
                              bars: detail.figures.enumerated().map { .init(label: $0.element.name, value: $0.element.sharpe, highlighted: $0.offset == 0) }).node()
        let deployable = version.status == "trained" || version.status == "retired"
        return .section(
            .class("card"), .style("margin-top:1rem"),
            .h2(.text("\(version.version) · \(version.family) \(version.modelType) · \(version.status)")),
            .p(.text("Trained on \(detail.symbols.count) symbols, \(Format.day(detail.dataFrom)) to \(Format.day(detail.dataTo)), horizon \(detail.horizonDays) days.")),
            .unwrap(detail.error) { .p(.class("error"), .text($0)) },
            .unwrap(version.gatePassed) { passed in
                .div(.p(.class(passed ? "good" : "bad"), .strong(.text(passed ? "Gate passed" : "Gate failed"))),
                     .ul(.forEach(detail.gateReasons) { .li(.text($0)) }))
            },
            .if(!detail.gateEvidence.isEmpty, .table(
                .class("gate-evidence"),
                .forEach(detail.gateEvidence) { row in .tr(.th(.text(row.label)), .td(.text(row.value))) }
            )),
            .if(!detail.windowIC.isEmpty, .div(ic)),
            .if(!detail.figures.isEmpty, .group(
                .div(sharpe),
                .table(
                    .tr(.th("Portfolio"), .th("Sharpe"), .th("CAGR"), .th("Max drawdown"), .th("Turnover")),
                    .forEach(detail.figures) { figures in
                        .tr(.td(.text(figures.name)), .td(.text(String(format: "%.2f", figures.sharpe))), .td(.text(Format.percent(figures.cagr))),
                            .td(.text(Format.percent(figures.maxDrawdown))), .td(.text(String(format: "%.2f", figures.turnover))))
                    }
                )
            )),
            .if(deployable, .p(.style("margin-top:.8rem"), .a(.href(to: .models, ["model": version.modelID, "confirm": "deploy"]), "Deploy this version…")))
        )
    }

    static func trainingForm(_ model: Model) -> Node<HTML.BodyContext> {
        let form = model.form
        func field(_ name: String, _ id: String, _ label: String, _ value: String, type: HTMLInputType = .text, hint: String? = nil) -> Node<HTML.FormContext> {
            let error = form.errors[name]
            return .group(
                .label(.for(Markup.escape(id)), .text(label)),
                .input(.type(type), .name(Markup.escape(name)), .id(Markup.escape(id)), .value(Markup.escape(value)),
                       .attribute(named: "aria-invalid", value: error == nil ? "false" : "true"),
                       .attribute(named: "aria-describedby", value: Markup.escape("\(id)-error"))),
                .unwrap(hint) { .p(.class("label"), .text($0)) },
                .p(.class("error"), .id(Markup.escape("\(id)-error")), .text(error ?? ""))
            )
        }
        return .section(
            .class("card"), .style("margin-top:1rem"),
            .h2("Train a model"),
            .unwrap(form.message) { .p(.class("error"), .attribute(named: "role", value: "alert"), .text($0)) },
            .form(
                .method(.post), .action(to: .trainModel),
                .input(.type(.hidden), .name("csrf"), .value(Markup.escape(model.viewer.csrfToken))),
                .label(.for("train-type"), "Model type"),
                .select(.attribute(named: "name", value: "model_type"), .attribute(named: "id", value: "train-type"),
                        .forEach([("ridge", "ridge (return model)"), ("gbdt", "gradient-boosted trees (return model)"), ("rl_policy", "RL rebalancing policy")]) { type in
                            .element(named: "option", nodes: [.attribute(named: "value", value: Markup.escape(type.0)),
                                                              .if(type.0 == form.modelType, .attribute(named: "selected", value: "selected")), .text(type.1)])
                        }),
                .unwrap(form.errors["model_type"]) { .p(.class("error"), .text($0)) },
                .label(.for("train-portfolio"), "Universe: a model portfolio"),
                .select(.attribute(named: "name", value: "portfolio_id"), .attribute(named: "id", value: "train-portfolio"),
                        .element(named: "option", nodes: [.attribute(named: "value", value: ""), .text("– the symbols below –")]),
                        .forEach(model.portfolios) { portfolio in
                            .element(named: "option", nodes: [.attribute(named: "value", value: Markup.escape(String(portfolio.id))),
                                                              .if(String(portfolio.id) == form.portfolioID, .attribute(named: "selected", value: "selected")),
                                                              .text(portfolio.name)])
                        }),
                .unwrap(form.errors["portfolio_id"]) { .p(.class("error"), .text($0)) },
                field("symbols", "train-symbols", "…or symbols (comma separated)", form.symbols),
                field("from", "train-from", "From", form.from, type: .date),
                field("to", "train-to", "To", form.to, type: .date),
                field("horizon_days", "train-horizon", "Horizon (trading days)", form.horizonDays, type: .number),
                .p(.button(.type(.submit), "Start training"))
            )
        )
    }
}
