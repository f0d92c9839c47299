import ArgumentParser
import BallastCore

struct GraphCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Print the dependency graph: text, Graphviz DOT (-o dot) or JSON."
    )

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var runtime: RuntimeOptions
    @Option(name: .shortAndLong, help: "Output format: text, dot or json.")
    var output: GraphFormat = .text

    func run() async throws {
        let context = try Runtime(runtime)
        let loaded = context.load(try await ManifestCheckout.resolve(manifests, runtime: context))
        Terminal.report(loaded.diagnostics, files: loaded.files)
        guard let desired = loaded.desired else { throw ExitCode(1) }
        switch output {
        case .text: Terminal.standardOutput(GraphRenderer.text(desired))
        case .dot: Terminal.standardOutput(GraphRenderer.dot(desired))
        case .json: Terminal.standardOutput(JSONText.pretty(GraphRenderer.json(desired)))
        }
    }
}
