import ArgumentParser
import BallastCore

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check manifests: syntax, schema, placement, references and dependency cycles.",
        discussion: "Every problem is reported as path:line:column: error: message. Exit code 1 when there are errors."
    )

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var runtime: RuntimeOptions
    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: OutputFormat = .text

    func run() async throws {
        let context = try Runtime(runtime)
        let loaded = context.load(try await ManifestCheckout.resolve(manifests, runtime: context))
        switch output {
        case .text:
            Terminal.report(loaded.diagnostics, files: loaded.files)
            if let desired = loaded.desired {
                let sites = desired.sites.count
                Terminal.standardOutput("Valid: \(desired.resources.count) resource\(desired.resources.count == 1 ? "" : "s") on \(sites) site\(sites == 1 ? "" : "s"), \(desired.layerCount) dependency layer\(desired.layerCount == 1 ? "" : "s").\n")
            }
        case .json:
            Terminal.standardOutput(JSONText.pretty(DiagnosticJSON.encode(loaded.diagnostics, files: loaded.files, resources: loaded.desired?.resources.count)))
        }
        ProcessExit.now(loaded.diagnostics.hasErrors ? 1 : 0, keepingAlive: loaded)
    }
}
