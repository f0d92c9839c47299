import ArgumentParser
import BallastCore
import BallastEngine

struct DriftCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Report drift: the world differs from what Ballast last applied, with no manifest change.",
        discussion: "Exit codes: 0 no drift, 1 error or a site that could not be observed, 2 drift found (for CI)."
    )

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var runtime: RuntimeOptions
    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: OutputFormat = .text

    func run() async throws {
        let context = try Runtime(runtime)
        var service = try await context.applyService(store: try await context.existingStore(), creatingKey: false)
        let checkout = try await ManifestCheckout.resolve(manifests, runtime: context)
        service.planner.readPolicy = checkout.readPolicy
        // A resource no longer declared is a change of the manifests, never drift: no prunes
        // are planned, so a drift check of part of a tree judges that part (the other files'
        // resources are not "removed"), and a removal waiting to be applied is not reported.
        let outcome = try await service.planner.plan(checkout.paths, fromGit: checkout.revision != nil, prunes: false, readStandardInput: Terminal.readStandardInput)
        Terminal.report(outcome.diagnostics, files: outcome.loaded.files)
        guard let plan = outcome.plan else { throw ExitCode.failure }
        let drifted = service.drift(outcome)
        switch output {
        case .json:
            Terminal.standardOutput(JSONText.pretty(.map(Fields([
                "formatVersion": .int(1),
                "drifted": .list(drifted.map { PlanJSON.encode($0) }),
                "observeOnly": .list(plan.drift.map { .map(Fields(["id": .string($0.id.description), "missing": .bool($0.missing)])) }),
                "unknown": .list(plan.unknown.map { .map(Fields(["id": .string($0.id.description), "reason": .string($0.reason)])) }),
            ]))))
        case .text:
            if drifted.isEmpty && plan.drift.isEmpty && plan.unknown.isEmpty {
                Terminal.standardOutput("No drift: every managed resource is as Ballast last applied it.\n")
            }
            for action in drifted {
                let what = action.action == .create ? "is missing" : "differs from what was applied"
                Terminal.standardOutput("\(action.id) \(what)\n")
                for change in action.changes where action.action != .create {
                    Terminal.standardOutput("    \(change.path): applied \(ValueFormatter.after(change)), now \(ValueFormatter.before(change))\n")
                }
            }
            for report in plan.drift {
                Terminal.standardOutput("\(report.id) (observe only) \(report.missing ? "is missing" : "differs from its manifest")\n")
            }
        }
        // A dark site may hide drift or a deletion: never report "no drift" for it.
        if !plan.unknown.isEmpty {
            Terminal.standardError("ballast: error: \(Unobserved.describe(plan.unknown)); their drift is unknown\n")
            throw ExitCode.failure
        }
        if !drifted.isEmpty || !plan.drift.isEmpty { throw ExitCode(2) }
    }
}
