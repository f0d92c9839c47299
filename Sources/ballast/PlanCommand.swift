import ArgumentParser
import BallastCore
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
    @Option(name: .long, help: "Seconds to wait for each site's observation.")
    var observeTimeout: Int = 30

    func validate() throws {
        guard observeTimeout > 0 else { throw ValidationError("--observe-timeout must be positive") }
    }

    func run() async throws {
        let context = Runtime(runtime)
        let store = try context.store()
        var service = try context.applyService(store: store)
        service.planner.observer.timeout = .seconds(observeTimeout)
        let loaded = service.planner.load(manifests.paths, readStandardInput: Terminal.readStandardInput)
        if let desired = loaded.desired { await context.recoverOpportunistically(service, sites: desired.sites) }
        let outcome = try await service.planner.plan(loaded, inputs: manifests.paths)
        Terminal.report(outcome.diagnostics, files: outcome.loaded.files)
        guard let plan = outcome.plan, let desired = outcome.loaded.desired else { throw ExitCode(1) }
        if let out {
            let text = JSONText.pretty(PlanJSON.encode(plan))
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
            } catch {
                Terminal.standardError("ballast: error: cannot write the plan to \(out): \(error.localizedDescription)\n")
                throw ExitCode(1)
            }
        }
        switch output {
        case .text:
            Terminal.standardOutput(PlanTextRenderer(style: Terminal.style, sites: desired.sites).render(plan))
            if let out { Terminal.standardOutput("\nSaved the plan to \(out).\n") }
        case .json:
            Terminal.standardOutput(JSONText.pretty(PlanJSON.encode(plan)))
        }
        ProcessExit.now(detailedExitcode && plan.hasChanges ? 2 : 0, keepingAlive: (outcome, store))
    }
}
