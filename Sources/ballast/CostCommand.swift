import ArgumentParser
import BallastCore

struct CostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cost",
        abstract: "The estate's monthly cost and carbon from its price books, grouped by site, kind or a label.",
        discussion: """
            Prices the resources as the manifests declare them (docs/cost.md): no state and no provider is read. \
            Amounts in different currencies are totalled apart. A resource no price book prices is listed as \
            unpriced, never counted as zero. Exit code 1 when the manifests have errors.
            """
    )

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var runtime: RuntimeOptions
    @Option(name: .long, help: "Group by site, kind, or label:KEY (such as label:team).")
    var by: CostGrouping = CostGrouping(.site)
    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: OutputFormat = .text

    func run() async throws {
        let context = try Runtime(runtime)
        let loaded = context.load(try await ManifestCheckout.resolve(manifests, runtime: context))
        Terminal.report(loaded.diagnostics, files: loaded.files)
        guard let declared = loaded.desired else { throw ExitCode(1) }
        let catalog = context.registry.catalog(describing: declared.sites.values.map(\.provider))
        // `count` placements priced where a fresh placement would put them (no state is read).
        let (desired, problems) = PlacementChooser.choose(declared, existing: [], catalog: catalog)
        if !problems.isEmpty {
            Terminal.report(Diagnostics(problems), files: loaded.files)
            throw ExitCode(1)
        }
        let report = CostReport(desired: desired, catalog: catalog, by: by.grouping)
        switch output {
        case .text: Terminal.standardOutput(CostReportRenderer.text(report))
        case .json: Terminal.standardOutput(JSONText.pretty(CostReportRenderer.json(report)))
        }
    }
}

/// `--by site|kind|label:KEY`.
struct CostGrouping: ExpressibleByArgument {
    var grouping: CostReport.Grouping

    init(_ grouping: CostReport.Grouping) {
        self.grouping = grouping
    }

    init?(argument: String) {
        guard let grouping = CostReport.Grouping(argument) else { return nil }
        self.grouping = grouping
    }

    var defaultValueDescription: String { grouping.description }
}
