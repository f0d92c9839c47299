import ArgumentParser
import Foundation
import BallastCore
import BallastProviders
import BallastSim

struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Act on the simulated world as an outside force would (for demos and tests).",
        subcommands: [List.self, Drift.self, Delete.self, Outage.self]
    )

    static func resourceID(_ text: String) throws -> ResourceID {
        guard let id = ResourceID(parsing: text) else { throw ValidationError("'\(text)' is not a resource id: write Kind/name@site") }
        return id
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List every resource in the sim world.")
        @OptionGroup var runtime: RuntimeOptions
        @Option(name: .shortAndLong, help: "Output format: text or json.")
        var output: OutputFormat = .text

        func run() async throws {
            let control = SimControl(world: try Runtime(runtime).simWorld)
            let resources = try await control.list()
            let outages = try await control.outages()
            switch output {
            case .json:
                Terminal.standardOutput(JSONText.pretty(.map(Fields([
                    "resources": .list(resources.map { observed in
                        .map(Fields(["id": .string(observed.id.description), "revision": .string(observed.revision), "spec": .map(observed.spec), "outputs": .map(observed.outputs)]))
                    }),
                    "outages": .map(Fields(outages.map { ($0.key, Value.bool($0.value)) })),
                ]))))
            case .text:
                if resources.isEmpty { Terminal.standardOutput("The sim world is empty.\n") }
                for observed in resources {
                    let fields = observed.spec.entries.map { "\($0.key)=\(ValueFormatter.format($0.value))" }.joined(separator: " ")
                    Terminal.standardOutput("\(observed.id)  rev \(observed.revision)  \(fields)\n")
                }
                for (site, on) in outages.sorted(by: { $0.key < $1.key }) where on {
                    Terminal.standardOutput("outage: \(site)\n")
                }
            }
        }
    }

    struct Drift: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "drift", abstract: "Change fields of a resource out of band: ballast sim drift Kind/name@site field=value …")
        @OptionGroup var runtime: RuntimeOptions
        @Argument(help: "The resource id, Kind/name@site.") var id: String
        @Argument(help: "field=value assignments; values are YAML scalars, dotted paths reach nested fields.") var assignments: [String]

        func run() async throws {
            let resourceID = try SimCommand.resourceID(id)
            guard !assignments.isEmpty else { throw ValidationError("give at least one field=value") }
            do {
                let observed = try await SimControl(world: try Runtime(runtime).simWorld).drift(resourceID, assignments: assignments)
                Terminal.standardOutput("drifted \(observed.id) (rev \(observed.revision))\n")
            } catch {
                Terminal.standardError("ballast: error: \(error)\n")
                throw ExitCode(1)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a resource out of band.")
        @OptionGroup var runtime: RuntimeOptions
        @Argument(help: "The resource id, Kind/name@site.") var id: String

        func run() async throws {
            let resourceID = try SimCommand.resourceID(id)
            do {
                try await SimControl(world: try Runtime(runtime).simWorld).delete(resourceID)
                Terminal.standardOutput("deleted \(resourceID)\n")
            } catch {
                Terminal.standardError("ballast: error: \(error)\n")
                throw ExitCode(1)
            }
        }
    }

    struct Outage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "outage", abstract: "Switch a site's outage on or off.")
        @OptionGroup var runtime: RuntimeOptions
        @Argument(help: "The site name.") var site: String
        @Argument(help: "on or off.") var state: String
        @Option(name: .customLong("manifests"), help: "Manifests that declare the site, for a site nothing has been applied to yet (repeatable; '-' reads standard input).")
        var manifestPaths: [String] = []

        func validate() throws {
            guard ["on", "off"].contains(state) else { throw ValidationError("the outage state must be 'on' or 'off'") }
        }

        func run() async throws {
            let context = try Runtime(runtime)
            let control = SimControl(world: context.simWorld)
            // Unknown sites are errors everywhere: a site is known when the sim world holds its
            // resources or an outage, the state manages resources on it, or the manifests given
            // declare it.
            var known = Set(try await control.list().map(\.id.site)).union(try await control.outages().keys)
            if FileManager.default.fileExists(atPath: context.statePath) {
                known.formUnion(try await context.existingStore().inventory().keys.map(\.site))
            }
            if !manifestPaths.isEmpty {
                let loaded = context.load(manifestPaths)
                Terminal.report(loaded.diagnostics, files: loaded.files)
                guard let desired = loaded.desired else { throw ExitCode(1) }
                known.formUnion(desired.sites.keys)
            }
            guard known.contains(site) else {
                let how = manifestPaths.isEmpty ? " (for a site nothing has been applied to yet, add --manifests PATH)" : ""
                Terminal.standardError("ballast: error: no site '\(site)' in the sim world, the state or the manifests\(Suggestion.hint(for: site, among: known.sorted()))\(how)\n")
                throw ExitCode(1)
            }
            try await control.setOutage(site: site, on: state == "on")
            Terminal.standardOutput("outage \(state) for site \(site)\n")
        }
    }
}
