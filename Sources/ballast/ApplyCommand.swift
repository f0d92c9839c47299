import ArgumentParser
import BallastCore
import BallastEngine
import BallastState
import Foundation

struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Make the sites match the manifests, or execute a saved plan exactly.",
        discussion: """
        With manifest paths: plan, show the plan, ask for 'yes' (or --auto-approve), then apply. \
        With one saved plan file (from plan --out): refuse it if the manifests, a secret or any \
        affected resource moved since, else execute exactly its actions. Exit code 1 when any \
        action failed, a site could not be observed, or a resource waits for outputs a pull \
        site's agent has not reported (those resources were not applied); running apply again \
        resumes with what is left.
        """
    )

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var change: ChangeOptions
    @OptionGroup var events: EventOptions

    func run() async throws {
        // Stopping halfway because nobody reads the output would leave the world half-changed.
        StandardStreams.keepRunningWhenClosed()
        let context = try Runtime(runtime)
        let store = try await context.store()
        let sinks = try context.eventSinks(events, store: store)
        var service = try await context.applyService(store: store, parallelism: change.parallelism, announcer: sinks?.announcer)
        try await EventSinks.delivering(sinks) {
            let checkout = try await ManifestCheckout.resolve(manifests, runtime: context)
            service.planner.readPolicy = checkout.readPolicy
            // A plan file is named as a path, never found in a repository.
            let saved = manifests.gitURL == nil ? SavedPlanFile.read(manifests.paths, key: service.planner.planKey) : .notAPlan
            try await LockGuard.holding(service, command: "ballast apply", wait: change.lockWait) { _ in
                try await run(context: context, service: service, saved: saved, checkout: checkout)
            }
        }
    }

    private func run(context: Runtime, service: ApplyService, saved: SavedPlanFile.Result, checkout: ManifestCheckout) async throws {
        switch saved {
        case .failure(let message):
            Terminal.standardError("ballast: error: \(message)\n")
            throw ExitCode.failure
        case .plan(let plan, let path):
            try await applySaved(plan, path: path, service: service)
        case .notAPlan:
            let (outcome, recovery) = try await service.prepare(checkout.paths, revision: checkout.revision?.commit, readStandardInput: Terminal.readStandardInput)
            if let recovery { Terminal.reportRecovery(recovery) }
            Terminal.report(outcome.diagnostics, files: outcome.loaded.files)
            guard let plan = outcome.plan, let desired = outcome.loaded.desired else { throw ExitCode.failure }
            Terminal.standardOutput(PlanTextRenderer(style: Terminal.style, sites: desired.sites).render(plan))
            guard plan.hasChanges else {
                // Nothing to apply; the inventory still learns each resource's manifest file, and
                // a store that cannot take it now (restarting, unreachable) fails nothing.
                do {
                    try await service.recordUntouched(plan, outcome: outcome)
                } catch {
                    Terminal.standardError("ballast: warning: could not record the policies and manifest files of the resources (\(TerminalText.safe("\(error)"))); nothing else was affected, and the next apply records them\n")
                }
                try Self.failIfIncomplete(plan)
                return
            }
            let approved = try approveMassDeletion(plan)
            try refuseOverBudget(plan)
            try Approval.confirm(autoApprove: change.autoApprove, verb: "apply")
            try await execute(plan, outcome: outcome, approvedDeletions: approved, service: service)
        }
    }

    private func applySaved(_ saved: Plan, path: String, service: ApplyService) async throws {
        guard !saved.inputs.isEmpty else {
            Terminal.standardError("ballast: error: \(path) names no manifest inputs\n")
            throw ExitCode.failure
        }
        guard !saved.inputs.contains("-") else {
            Terminal.standardError("ballast: error: \(path) was planned from standard input, which cannot be read again to check it; plan from files to save a plan, or pipe the manifests to 'ballast apply -' instead\n")
            throw ExitCode.failure
        }
        let (current, recovery) = try await service.prepare(saved.inputs)
        if let recovery { Terminal.reportRecovery(recovery) }
        Terminal.report(current.diagnostics, files: current.loaded.files)
        guard current.loaded.desired != nil else { throw ExitCode.failure }
        let problems = service.staleness(of: saved, against: current)
        guard problems.isEmpty else {
            Terminal.standardError("ballast: error: the saved plan \(path) is stale; make a new one with 'ballast plan --out':\n" + problems.map { "  - \($0)\n" }.joined())
            throw ExitCode.failure
        }
        Terminal.standardOutput("Applying the saved plan \(path): \(saved.summaryLine)\n")
        let approved = try approveMassDeletion(saved)
        // The budgets of the plan made now: a saved plan's figures are never trusted.
        if let fresh = current.plan { try refuseOverBudget(fresh) }
        try await execute(saved, outcome: current, approvedDeletions: approved, service: service)
    }

    /// Stops before anything is asked or done when the plan breaks a blocking budget and
    /// `--allow-over-budget` was not given.
    private func refuseOverBudget(_ plan: Plan) throws {
        do {
            _ = try ApplyService.budgetApproval(plan, allowOverBudget: change.allowOverBudget)
        } catch {
            Terminal.standardError("ballast: error: \(error)\n")
            throw ExitCode.failure
        }
    }

    private func approveMassDeletion(_ plan: Plan) throws -> String? {
        guard let mass = plan.massDeletion else { return nil }
        return try Approval.confirmMassDeletion(mass, allowed: change.allowMassDelete, autoApprove: change.autoApprove)
    }

    private func execute(_ plan: Plan, outcome: PlanService.Outcome, approvedDeletions: String?, service: ApplyService) async throws {
        Terminal.standardOutput("\n")
        let printer = ProgressPrinter(style: Terminal.style, live: Terminal.errorIsTerminal)
        let report = try await service.execute(plan, outcome: outcome, approvedDeletions: approvedDeletions, allowOverBudget: change.allowOverBudget, progress: printer)
        printer.done()
        Terminal.standardOutput("\n" + report.summaryLine + "\n")
        if !report.succeeded {
            let failed = report.results.filter { $0.status == .failed }
            Terminal.standardError("ballast: error: \(failed.count) action\(failed.count == 1 ? "" : "s") failed; run apply again to retry what is left\n")
        }
        if let current = outcome.plan { try Self.failIfIncomplete(current) }
        if !report.succeeded { throw ExitCode.failure }
    }

    /// Resources on sites that could not be observed, and resources waiting for outputs that
    /// pull sites' agents have not reported, were neither planned nor applied: the estate has
    /// not converged, and a pipeline must not read the run as a success.
    private static func failIfIncomplete(_ plan: Plan) throws {
        if !plan.unknown.isEmpty {
            Terminal.standardError("ballast: error: \(Unobserved.describe(plan.unknown)) \(plan.unknown.count == 1 ? "was" : "were") not applied; apply again when they are back\n")
        }
        if !plan.waiting.isEmpty {
            Terminal.standardError("ballast: error: \(Unobserved.describeWaiting(plan.waiting)); they were not applied. The hub daemon (ballast watch) applies them when the reports arrive, or apply again then\n")
        }
        if !plan.unknown.isEmpty || !plan.waiting.isEmpty { throw ExitCode.failure }
    }
}
