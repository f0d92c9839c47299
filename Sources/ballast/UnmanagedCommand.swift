import ArgumentParser
import BallastCore
import BallastEngine
import BallastProviders
import Foundation

struct UnmanagedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unmanaged",
        abstract: "List what exists on the sites but no manifest declares and Ballast does not manage, with its monthly cost.",
        discussion: """
            Asks each push site's provider for every resource of its kinds (sim, aws, and plugins that \
            can list) and leaves out what the manifests declare, what the inventory manages, and what \
            a .ballastignore file in a manifest directory names (ids or globs such as Bucket/tmp-*@*). \
            Exit code 0 when there is nothing unmanaged, 2 when there is (for CI), 1 on errors or when \
            a site could not be listed.
            """
    )

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var runtime: RuntimeOptions
    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: OutputFormat = .text

    func run() async throws {
        let context = try Runtime(runtime)
        let store = try await context.existingStore(allowsNewEstate: true)
        var service = try await context.applyService(store: store, creatingKey: false)
        let checkout = try await ManifestCheckout.resolve(manifests, runtime: context)
        service.planner.readPolicy = checkout.readPolicy
        let loaded = service.planner.load(checkout.paths, readStandardInput: Terminal.readStandardInput)
        Terminal.report(loaded.diagnostics, files: loaded.files)
        guard let desired = loaded.desired else { throw ExitCode(1) }
        let inventory = try await store.inventory()
        let (listed, unlisted, unreachable) = await Self.list(desired.sites, registry: context.registry)
        let estimator = CostEstimator(sites: desired.sites, priceBooks: desired.priceBooks, catalog: context.registry.catalog)
        let report = UnmanagedReport(
            listed: listed, unlisted: unlisted, declared: Set(desired.resources.map(\.id)), managed: Set(inventory.keys),
            ignore: Self.ignoreList(checkout.paths), estimator: estimator.hasPrices ? estimator : nil)
        switch output {
        case .text: Terminal.standardOutput(Self.text(report))
        case .json: Terminal.standardOutput(JSONText.pretty(Self.json(report)))
        }
        for site in unreachable.sorted() {
            Terminal.standardError("ballast: error: site '\(site)' could not be listed: \(TerminalText.safe(unlisted[site] ?? ""))\n")
        }
        ProcessExit.now(!unreachable.isEmpty ? 1 : report.entries.isEmpty ? 0 : 2, keepingAlive: (loaded, store))
    }

    /// Every push site's listing, concurrently. Sites that are not listed carry a reason; those
    /// that could not be reached are an error.
    static func list(_ sites: [String: Site], registry: ProviderRegistry) async -> (listed: [String: [Observed]], unlisted: [String: String], unreachable: Set<String>) {
        var listed: [String: [Observed]] = [:]
        var unlisted: [String: String] = [:]
        var unreachable = Set<String>()
        await withTaskGroup(of: (String, Result<[Observed]?, ProviderError>, String?).self) { group in
            for site in sites.values {
                if site.isPull {
                    unlisted[site.name] = "a pull site: its agent's machine is not listed from here"
                    continue
                }
                guard let provider = registry.provider(named: site.provider) else {
                    unlisted[site.name] = "provider '\(site.provider)' is not available"
                    continue
                }
                group.addTask {
                    do throws(ProviderError) {
                        return (site.name, .success(try await provider.list(site: site)), site.provider)
                    } catch {
                        return (site.name, .failure(error), site.provider)
                    }
                }
            }
            for await (site, result, provider) in group {
                switch result {
                case .success(let resources?): listed[site] = resources
                case .success(nil): unlisted[site] = "provider '\(provider ?? "")' cannot list its resources"
                case .failure(let error):
                    unlisted[site] = error.message
                    unreachable.insert(site)
                }
            }
        }
        return (listed, unlisted, unreachable)
    }

    /// The `.ballastignore` of each manifest directory (of a file's directory).
    static func ignoreList(_ paths: [String]) -> IgnoreList {
        var list = IgnoreList()
        var seen = Set<String>()
        for path in paths where path != "-" {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            let directory = isDirectory.boolValue ? path : PathText.deletingLastComponent(path)
            let file = (directory.isEmpty ? "." : directory) + "/.ballastignore"
            guard seen.insert(file).inserted, let data = FileManager.default.contents(atPath: file) else { continue }
            list.append(IgnoreList(text: String(decoding: data, as: UTF8.self)))
        }
        return list
    }

    static func text(_ report: UnmanagedReport) -> String {
        var out = ""
        if report.entries.isEmpty {
            out += "Nothing unmanaged: every listed resource is declared or managed.\n"
        } else {
            out += "Unmanaged (exists, but no manifest declares it and Ballast does not manage it):\n"
            for entry in report.entries {
                out += "  ? \(entry.id)" + Self.costNote(entry.cost) + "\n"
            }
            var summary = "\n\(report.entries.count) unmanaged resource\(report.entries.count == 1 ? "" : "s")"
            if let totals = report.totals {
                let amounts = totals.money.map { MoneyText.amount($0.after, currency: $0.currency) + "/mo" }
                if !amounts.isEmpty { summary += ", " + amounts.joined(separator: " + ") }
                if totals.unpriced > 0 { summary += " (\(totals.unpriced) unpriced)" }
            }
            out += summary + ". Adopt one with 'ballast import ID PATHS --to FILE', or name it in .ballastignore.\n"
        }
        if report.ignored > 0 { out += "\(report.ignored) ignored by .ballastignore.\n" }
        for site in report.unlisted { out += "Not listed: site \(site.site) (\(TerminalText.safe(site.reason))).\n" }
        return out
    }

    static func costNote(_ cost: CostEstimate?) -> String {
        switch cost {
        case nil: ""
        case .priced(let cost)?: "  " + MoneyText.amount(cost.monthly, currency: cost.currency) + "/mo"
        case .unpriced(let reason)?: "  unpriced: " + TerminalText.safe(reason)
        }
    }

    static func json(_ report: UnmanagedReport) -> Value {
        .map(Fields([
            "formatVersion": .int(1),
            "unmanaged": .list(report.entries.map { entry in
                var fields: [String: Value] = [
                    "id": .string(entry.id.description), "kind": .string(entry.id.kind), "name": .string(entry.id.name), "site": .string(entry.id.site),
                ]
                fields["cost"] = PlanJSON.encode(entry.cost)
                return .map(Fields(fields))
            }),
            "ignored": .int(report.ignored),
            "unlisted": .list(report.unlisted.map { .map(Fields(["site": .string($0.site), "reason": .string($0.reason)])) }),
            "cost": report.totals.map(PlanJSON.encode) ?? .null,
        ]))
    }
}
