import ArgumentParser
import BallastCore

struct ProvidersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "providers",
        abstract: "List the providers and the kinds they serve (--markdown prints docs/providers.md)."
    )

    @OptionGroup var runtime: RuntimeOptions
    @Flag(help: "Print every kind's fields as Markdown.")
    var markdown = false

    func run() async throws {
        let registry = try Runtime(runtime).registry
        let catalog = registry.catalogOfEveryProvider()
        for name in registry.names {
            if let problem = registry.unavailability(of: name) { Terminal.standardError("ballast: warning: provider '\(name)' is not available: \(problem)\n") }
        }
        let schemas = catalog.providerNames.compactMap { catalog.providers[$0] }
        if markdown {
            Terminal.standardOutput(SchemaMarkdown.render(schemas))
            return
        }
        for schema in schemas {
            Terminal.standardOutput("\(schema.provider): \(schema.kinds.map(\.kind).sorted().joined(separator: ", "))\n")
        }
    }
}
