import ArgumentParser
import BallastCore
import BallastEngine

struct DestroyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy",
        abstract: "Delete everything the manifests declare that Ballast manages, dependents first.",
        discussion: """
        Resources with policy.preventDestroy make destroy refuse; deletion: orphan resources are only forgotten. \
        A managed resource outside the manifests that depends on one of them makes destroy refuse and name it; \
        --include-dependents destroys it too. Exit code 1 when a site could not be observed.
        """
    )

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var change: ChangeOptions
    @OptionGroup var events: EventOptions
    @Flag(help: "Also destroy managed resources outside the manifests that depend on them.")
    var includeDependents = false

    func run() async throws {
        // Stopping halfway because nobody reads the output would leave the world half-changed.
        StandardStreams.keepRunningWhenClosed()
        let context = try Runtime(runtime)
        let store = try await context.store(creating: false)
        let sinks = try context.eventSinks(events, store: store)
        var service = try await context.applyService(store: store, parallelism: change.parallelism, announcer: sinks?.announcer)
        try await EventSinks.delivering(sinks) {
            let checkout = try await ManifestCheckout.resolve(manifests, runtime: context)
            service.planner.readPolicy = checkout.readPolicy
            try await LockGuard.holding(service, command: "ballast destroy", wait: change.lockWait) { _ in
                try await destroy(service, checkout: checkout)
            }
        }
    }

    private func destroy(_ service: ApplyService, checkout: ManifestCheckout) async throws {
        let (outcome, recovery) = try await service.prepare(checkout.paths, revision: checkout.revision?.commit, prunes: false, readStandardInput: Terminal.readStandardInput)
        if let recovery { Terminal.reportRecovery(recovery) }
        guard outcome.plan != nil, let desired = outcome.loaded.desired else {
            Terminal.report(outcome.diagnostics, files: outcome.loaded.files)
            throw ExitCode.failure
        }
        let (plan, diagnostics) = service.destroyPlan(outcome, includeDependents: includeDependents)
        Terminal.report(diagnostics, files: outcome.loaded.files)
        guard let plan else { throw ExitCode.failure }
        guard plan.hasChanges else {
            if !plan.unknown.isEmpty {
                Terminal.standardError("ballast: error: \(Unobserved.describe(plan.unknown)) were not destroyed; destroy again when they are back\n")
                throw ExitCode.failure
            }
            Terminal.standardOutput("Nothing to destroy: Ballast manages none of these resources.\n")
            return
        }
        Terminal.standardOutput(PlanTextRenderer(style: Terminal.style, sites: desired.sites).render(plan))
        try Approval.confirm(autoApprove: change.autoApprove, verb: "destroy")
        Terminal.standardOutput("\n")
        let printer = ProgressPrinter(style: Terminal.style, live: Terminal.errorIsTerminal)
        let report = try await service.execute(plan, outcome: outcome, progress: printer)
        printer.done()
        Terminal.standardOutput("\n" + report.summaryLine.replacingOccurrences(of: "Apply", with: "Destroy") + "\n")
        if !plan.unknown.isEmpty {
            Terminal.standardError("ballast: error: \(Unobserved.describe(plan.unknown)) were not destroyed; destroy again when they are back\n")
        }
        if !report.succeeded || !plan.unknown.isEmpty { throw ExitCode.failure }
    }
}
