import ArgumentParser
import BallastCore
import BallastEngine
import BallastStore
import Foundation

/// Options apply and destroy share.
struct ChangeOptions: ParsableArguments {
    @Flag(help: "Apply without asking for confirmation.")
    var autoApprove = false
    @Option(help: "How many actions may run at once.")
    var parallelism: Int = 10
    @Option(help: "How long to wait for another run's lock on the state (60s, 2m; default: fail at once).")
    var lockTimeout: String = "0s"

    func validate() throws {
        guard parallelism > 0 else { throw ValidationError("--parallelism must be at least 1") }
        guard Terminal.duration(lockTimeout) != nil else { throw ValidationError("--lock-timeout takes a duration such as 30s, 2m or 500ms") }
    }

    var lockWait: Duration { Terminal.duration(lockTimeout) ?? .zero }
}

struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Make the sites match the manifests, or execute a saved plan exactly.",
        discussion: """
        With manifest paths: plan, show the plan, ask for 'yes' (or --auto-approve), then apply. \
        With one saved plan file (from plan --out): refuse it if the manifests, a secret or any \
        affected resource moved since, else execute exactly its actions. Exit code 1 when any \
        action failed; running apply again resumes with what is left.
        """
    )

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var change: ChangeOptions

    func run() async throws {
        let context = Runtime(runtime)
        let store = try context.store()
        let service = try context.applyService(store: store, parallelism: change.parallelism)
        let saved = SavedPlanFile.read(manifests.paths)
        let lock = try await LockGuard.take(service, command: "ballast apply", wait: change.lockWait)
        do {
            try await run(context: context, service: service, saved: saved)
            await lock.release()
        } catch {
            await lock.release()
            throw error
        }
    }

    private func run(context: Runtime, service: ApplyService, saved: SavedPlanFile.Result) async throws {
        switch saved {
        case .failure(let message):
            Terminal.standardError("ballast: error: \(message)\n")
            throw ExitCode.failure
        case .plan(let plan, let path):
            try await applySaved(plan, path: path, service: service)
        case .notAPlan:
            let loaded = service.planner.load(manifests.paths, readStandardInput: Terminal.readStandardInput)
            if let desired = loaded.desired { Terminal.reportRecovery(try await service.recover(sites: desired.sites)) }
            let outcome = try await service.planner.plan(loaded, inputs: manifests.paths)
            Terminal.report(outcome.diagnostics, files: outcome.loaded.files)
            guard let plan = outcome.plan, let desired = outcome.loaded.desired else { throw ExitCode.failure }
            Terminal.standardOutput(PlanTextRenderer(style: Terminal.style, sites: desired.sites).render(plan))
            guard plan.hasChanges else { return }
            try Approval.confirm(autoApprove: change.autoApprove, verb: "apply")
            try await execute(plan, outcome: outcome, service: service)
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
        let loaded = service.planner.load(saved.inputs, readStandardInput: { [] })
        if let desired = loaded.desired { Terminal.reportRecovery(try await service.recover(sites: desired.sites)) }
        let current = try await service.planner.plan(loaded, inputs: saved.inputs)
        Terminal.report(current.diagnostics, files: current.loaded.files)
        guard current.loaded.desired != nil else { throw ExitCode.failure }
        let problems = service.staleness(of: saved, against: current)
        guard problems.isEmpty else {
            Terminal.standardError("ballast: error: the saved plan \(path) is stale; make a new one with 'ballast plan --out':\n" + problems.map { "  - \($0)\n" }.joined())
            throw ExitCode.failure
        }
        Terminal.standardOutput("Applying the saved plan \(path): \(saved.summaryLine)\n")
        try await execute(saved, outcome: current, service: service)
    }

    private func execute(_ plan: Plan, outcome: PlanService.Outcome, service: ApplyService) async throws {
        Terminal.standardOutput("\n")
        let printer = ProgressPrinter(style: Terminal.style, live: Terminal.errorIsTerminal)
        let report = try await service.execute(plan, outcome: outcome, progress: printer)
        printer.done()
        Terminal.standardOutput("\n" + report.summaryLine + "\n")
        let unreached = (outcome.plan?.unknown ?? [])
        if !unreached.isEmpty {
            let sites = Set(unreached.map(\.id.site)).sorted().joined(separator: ", ")
            Terminal.standardOutput("Not applied: \(unreached.count) resource\(unreached.count == 1 ? "" : "s") on sites that could not be observed (\(sites)); apply again when they are back.\n")
        }
        if !report.succeeded {
            let failed = report.results.filter { $0.status == .failed }
            Terminal.standardError("ballast: error: \(failed.count) action\(failed.count == 1 ? "" : "s") failed; run apply again to retry what is left\n")
            throw ExitCode.failure
        }
    }
}

/// Asking for approval before changing anything.
enum Approval {
    static func confirm(autoApprove: Bool, verb: String) throws {
        if autoApprove { return }
        guard Terminal.inputIsTerminal else {
            Terminal.standardError("ballast: error: \(verb) needs confirmation, but standard input is not a terminal; pass --auto-approve to \(verb) without asking\n")
            throw ExitCode.failure
        }
        Terminal.standardOutput("\nDo you want to \(verb) these changes? Only 'yes' will be accepted: ")
        guard readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
            Terminal.standardOutput("\(verb.capitalized) cancelled.\n")
            throw ExitCode.failure
        }
    }
}

/// Holds the state lock for a run and releases it once.
struct LockGuard {
    let service: ApplyService
    let holder: LockHolder

    static func take(_ service: ApplyService, command: String, wait: Duration) async throws -> LockGuard {
        do {
            let (holder, previous) = try await service.lock(command: command, wait: wait)
            if let previous {
                Terminal.standardError("ballast: warning: took over the state lock left by \(previous.command) (pid \(previous.pid)), which is no longer running\n")
            }
            return LockGuard(service: service, holder: holder)
        } catch {
            Terminal.standardError("ballast: error: \(error)\n")
            throw ExitCode.failure
        }
    }

    func release() async {
        await service.unlock(holder)
    }
}

/// Recognises a saved plan given in place of manifest paths.
enum SavedPlanFile {
    enum Result {
        case notAPlan
        case plan(Plan, path: String)
        case failure(String)
    }

    static func read(_ paths: [String]) -> Result {
        guard paths.count == 1, let path = paths.first, path != "-", !path.hasSuffix(".yaml"), !path.hasSuffix(".yml") else { return .notAPlan }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let data = FileManager.default.contents(atPath: path) else { return .notAPlan }
        guard data.first(where: { !$0.isWhitespace }) == UInt8(ascii: "{") else { return .notAPlan }
        do {
            return .plan(try PlanJSON.decode(try JSONValueParser.parse([UInt8](data))), path: path)
        } catch {
            return .failure("\(path) is not a usable plan file: \(error)")
        }
    }
}

private extension UInt8 {
    var isWhitespace: Bool { self == 0x20 || self == 0x0A || self == 0x0D || self == 0x09 }
}
