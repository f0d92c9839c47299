import ArgumentParser
import BallastCore
import BallastEngine
import Foundation

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what would change to make the sites match the manifests.",
        discussion: """
        Sites are observed concurrently; a site that cannot be observed is a warning and its \
        resources are reported as unknown. With --detailed-exitcode: 0 no changes, 1 error, 2 changes.
        """
    )

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var runtime: RuntimeOptions
    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: OutputFormat = .text
    @Flag(help: "Exit 0 when there are no changes, 1 on error, 2 when there are changes.")
    var detailedExitcode = false
    @Option(name: .long, help: "Save the plan (JSON) to this file, for a later exact apply.")
    var out: String?
    @Option(name: .long, parsing: .unconditional, help: "Seconds to wait for each site's observation (1-3600).")
    var observeTimeout: Int = 30
    @Flag(help: "Plan deletions beyond the deletion budget (the larger of 10 and 20% of what is managed).")
    var allowMassDelete = false

    func validate() throws {
        try Terminal.requireCount(observeTimeout, option: "--observe-timeout", in: 1...3600)
        if let out, out.hasSuffix(".yaml") || out.hasSuffix(".yml") {
            throw ValidationError("--out \(TerminalText.safe(out)): apply reads *.yaml and *.yml files as manifests, never as a saved plan; name the plan otherwise (plan.json)")
        }
    }

    func run() async throws {
        let context = try Runtime(runtime)
        // Only a saved plan needs the state written (its key); otherwise planning only reads.
        let store = out != nil ? try await context.store() : try await context.existingStore(allowsNewEstate: true)
        var service = try await context.applyService(store: store, creatingKey: out != nil)
        service.planner.observer.timeout = .seconds(observeTimeout)
        // Nothing here calls a provider after observing: the sim's parsed world (a quarter of a
        // 100k-resource plan's memory) is let go of before the planner's working set is made.
        service.planner.onceObserved = { [registry = context.registry] in
            await registry.releaseCaches()
            MallocArenas.releaseFreePages()
        }
        let checkout = try await ManifestCheckout.resolve(manifests, runtime: context)
        service.planner.readPolicy = checkout.readPolicy
        let loaded = service.planner.load(checkout.paths, readStandardInput: Terminal.readStandardInput)
        if let out, let read = loaded.files.paths.first(where: { ManifestScope.canonical($0) == ManifestScope.canonical(out) }) {
            Terminal.standardError("ballast: error: --out \(TerminalText.safe(out)) is \(TerminalText.safe(read)), one of the manifests read: the plan would overwrite it\n")
            throw ExitCode(1)
        }
        if let desired = loaded.desired { await context.recoverOpportunistically(service, sites: desired.sites) }
        let outcome = try await service.planner.plan(loaded, inputs: checkout.paths, fromGit: checkout.revision != nil)
        Terminal.report(outcome.diagnostics, files: outcome.loaded.files)
        guard let plan = outcome.plan, let desired = outcome.loaded.desired else { throw ExitCode(1) }
        if let mass = plan.massDeletion, !allowMassDelete {
            // The plan is still shown, in the format asked for (a pipeline reading JSON gets JSON).
            render(plan, sites: desired.sites)
            Terminal.standardError("ballast: error: \(mass.message); pass --allow-mass-delete to plan them anyway (digest \(mass.digest))\n")
            ProcessExit.now(1, keepingAlive: (outcome, store))
        }
        if let out {
            do {
                try SavedPlanFile.write(plan, to: out, key: service.planner.planKey)
            } catch {
                Terminal.standardError("ballast: error: cannot write the plan to \(out): \(error.localizedDescription)\n")
                throw ExitCode(1)
            }
        }
        render(plan, sites: desired.sites)
        if let out, output == .text { Terminal.standardOutput("\nSaved the plan to \(out).\n") }
        // A site that could not be observed may hide changes (a deleted resource): a gate that
        // reads 0 as "converged" must not pass while one is dark.
        if detailedExitcode && !plan.unknown.isEmpty {
            Terminal.standardError("ballast: error: \(Unobserved.describe(plan.unknown)); the plan is incomplete\n")
            ProcessExit.now(1, keepingAlive: (outcome, store))
        }
        if detailedExitcode && !plan.waiting.isEmpty {
            Terminal.standardError("ballast: error: \(Unobserved.describeWaiting(plan.waiting)); the plan is incomplete\n")
            ProcessExit.now(1, keepingAlive: (outcome, store))
        }
        ProcessExit.now(detailedExitcode && plan.hasChanges ? 2 : 0, keepingAlive: (outcome, store))
    }

    private func render(_ plan: Plan, sites: [String: Site]) {
        switch output {
        case .text: Terminal.standardOutput(PlanTextRenderer(style: Terminal.style, sites: sites).render(plan))
        case .json: Terminal.standardOutput(JSONText.pretty(PlanJSON.encode(plan)))
        }
    }
}
