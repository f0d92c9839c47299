import BallastCore
import BallastTesting
import Foundation
import Testing

private let root = Repository.root(from: #filePath)

/// The reference IPAM plugin (examples/providers) driven through the real CLI.
private struct PluginEstate {
    let directory = TemporaryDirectory(prefix: "ballast-plugin")
    let runner: CLIRunner
    var state: String { directory.file("state") }
    var database: String { directory.file("ipam.json") }
    var manifests: String { directory.file("manifests") }

    init() throws {
        runner = CLIRunner(workingDirectory: root)
        try #require(runner.isAvailable, "build the CLI first: swift build")
        let example = try String(contentsOfFile: root + "/manifests/examples/ipam/estate.yaml", encoding: .utf8)
        directory.write("manifests/estate.yaml", example.replacingOccurrences(of: "stateFile: ipam/dc-lab.json", with: "stateFile: " + database))
        // A directory made for the state: `plan` on it plans a new estate.
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
    }

    @discardableResult
    func ballast(_ arguments: [String], environment: [String: String] = [:]) async throws -> CLIRunner.Result {
        try await runner.run(arguments + ["--state", state], environment: ["BALLAST_PLUGIN_PATH": root + "/examples/providers"].merging(environment) { _, new in new })
    }

    func records() throws -> Fields {
        guard case .map(let fields) = try JSONValueParser.parse(try String(contentsOfFile: database, encoding: .utf8)) else { return Fields() }
        return fields
    }

    func address(_ name: String) throws -> Fields? {
        try records()["Address"]?.fieldsValue?[name]?.fieldsValue
    }
}

@Suite("provider plugins")
struct PluginTests {
    @Test func pluginDataLivesUnderTheStateWhereverTheCommandRuns() async throws {
        let state = TemporaryDirectory(prefix: "ballast-plugin-state")
        defer { state.remove() }
        let environment = ["BALLAST_PLUGIN_PATH": root + "/examples/providers"]
        let manifests = root + "/manifests/examples/ipam"
        let fromRoot = CLIRunner(workingDirectory: root)
        let applied = try await fromRoot.run(["apply", manifests, "--auto-approve", "--state", state.path], environment: environment)
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        #expect(FileManager.default.fileExists(atPath: state.file("ipam/dc-lab.json")), "the plugin's data is under the state directory")
        #expect(!FileManager.default.fileExists(atPath: manifests + "/ipam"), "and not in the source tree")
        // From another directory, the same state plans nothing: the data was found.
        let elsewhere = CLIRunner(workingDirectory: "/")
        let plan = try await elsewhere.run(["plan", manifests, "--state", state.path, "--detailed-exitcode"], environment: environment)
        #expect(plan.exitCode == 0, "\(plan.stdout)\(plan.stderr)")
    }

    @Test func aSecretAPluginEchoesInAnErrorIsRedactedEverywhere() async throws {
        let estate = try PluginEstate()
        defer { estate.directory.remove() }
        let secret = "10.99.7.0/28"
        let yaml = try String(contentsOfFile: estate.manifests + "/estate.yaml", encoding: .utf8)
            .replacingOccurrences(of: "metadata: { name: db-1, site: dc-lab }\nspec:\n  prefix: ${Prefix/servers.outputs.cidr}", with: "metadata: { name: db-1, site: dc-lab }\nspec:\n  prefix: ${env:DB_PREFIX}")
        estate.directory.write("manifests/estate.yaml", yaml)
        // The plugin answers "no prefix 10.99.7.0/28 is managed on this site": the value it was sent.
        let applied = try await estate.ballast(["apply", estate.manifests, "--auto-approve", "--verbose"], environment: ["DB_PREFIX": secret])
        #expect(applied.exitCode == 1)
        #expect(applied.stdout.contains("no prefix (sensitive) is managed") || applied.stderr.contains("no prefix (sensitive) is managed"), "\(applied.stdout)\(applied.stderr)")
        #expect(!applied.stdout.contains(secret) && !applied.stderr.contains(secret), "printed or logged: \(applied.stdout)\(applied.stderr)")
        let events = try await estate.ballast(["events", "-o", "json"])
        #expect(events.stdout.contains("(sensitive)") && !events.stdout.contains(secret), "journaled: \(events.stdout)")
        #expect(!(try await estate.ballast(["get", "-o", "json"]).stdout.contains(secret)), "stored in the inventory")
    }

    @Test func fullLifecycleWithTheReferencePlugin() async throws {
        let estate = try PluginEstate()
        defer { estate.directory.remove() }
        let providers = try await estate.ballast(["providers"])
        #expect(providers.stdout.contains("plugin:ipam: Address, Prefix"))
        let created = try await estate.ballast(["apply", estate.manifests, "--auto-approve"])
        #expect(created.exitCode == 0, "\(created.stderr)")
        // Both allocated from the prefix (in whichever order the two creates ran).
        let ips = Set(try ["db-1", "web-1"].compactMap { try estate.address($0)?["ip"]?.stringValue })
        #expect(ips == ["10.20.0.1", "10.20.0.2"])
        let dbIP = try #require(try estate.address("db-1")?["ip"]?.stringValue)
        let noop = try await estate.ballast(["plan", estate.manifests, "--detailed-exitcode"])
        #expect(noop.exitCode == 0, "\(noop.stdout)")
        // Drift made out of band, in the plugin's own database.
        var records = try estate.records()
        var addresses = try #require(records["Address"]?.fieldsValue)
        var web = try #require(addresses["web-1"]?.fieldsValue)
        web["hostname"] = .string("intruder")
        addresses["web-1"] = .map(web)
        records["Address"] = .map(addresses)
        try Data(JSONText.string(.map(records)).utf8).write(to: URL(fileURLWithPath: estate.database))
        let drifted = try await estate.ballast(["plan", estate.manifests, "--detailed-exitcode"])
        #expect(drifted.exitCode == 2 && drifted.stdout.contains(#"hostname: "intruder" → "web-1.lab.example""#))
        #expect(try await estate.ballast(["apply", estate.manifests, "--auto-approve"]).exitCode == 0)
        #expect(try estate.address("web-1")?["hostname"] == .string("web-1.lab.example"))
        // A computed output reaches the state: `get` shows the allocated address.
        #expect(try await estate.ballast(["get", "Address/db-1@dc-lab"]).stdout.contains(dbIP))
        // The plugin declares `list`: a prefix added to its database by hand is unmanaged.
        #expect(try await estate.ballast(["unmanaged", estate.manifests]).exitCode == 0)
        records = try estate.records()
        var prefixes = try #require(records["Prefix"]?.fieldsValue)
        prefixes["spare"] = .map(Fields(["cidr": .string("10.99.0.0/28"), "description": .string("by hand")]))
        records["Prefix"] = .map(prefixes)
        try Data(JSONText.string(.map(records)).utf8).write(to: URL(fileURLWithPath: estate.database))
        let sprawl = try await estate.ballast(["unmanaged", estate.manifests])
        #expect(sprawl.exitCode == 2 && sprawl.stdout.contains("  ? Prefix/spare@dc-lab\n"), "\(sprawl.stdout)\(sprawl.stderr)")
        prefixes["spare"] = nil
        records["Prefix"] = .map(prefixes)
        try Data(JSONText.string(.map(records)).utf8).write(to: URL(fileURLWithPath: estate.database))
        let destroyed = try await estate.ballast(["destroy", estate.manifests, "--auto-approve"])
        #expect(destroyed.exitCode == 0, "\(destroyed.stderr)")
        #expect(try estate.records()["Address"] == .map(Fields()) && estate.records()["Prefix"] == .map(Fields()))
    }

    /// The plugin pushes `changed` when its file is edited; the watch daemon heals at once
    /// (its periodic resync is an hour away).
    @Test func changesAPluginPushesReachTheWatchDaemon() async throws {
        let estate = try PluginEstate()
        defer { estate.directory.remove() }
        let cli = CLIRunner(workingDirectory: root, environment: ["BALLAST_PLUGIN_PATH": root + "/examples/providers"])
        let watch = try await WatchProcess(cli: cli, arguments: [estate.manifests, "--state", estate.state, "--resync", "1h"], directory: estate.directory.path)
        var records = try estate.records()
        var addresses = try #require(records["Address"]?.fieldsValue)
        var web = try #require(addresses["web-1"]?.fieldsValue)
        web["hostname"] = .string("intruder")
        addresses["web-1"] = .map(web)
        records["Address"] = .map(addresses)
        try Data(JSONText.string(.map(records)).utf8).write(to: URL(fileURLWithPath: estate.database))
        let healed = try await WatchProcess.eventually(timeout: .seconds(15)) { try estate.address("web-1")?["hostname"] == .string("web-1.lab.example") }
        #expect(healed, "\(watch.standardError)")
        #expect(await watch.terminate() == 0)
    }

    @Test func aPluginThatCrashesIsRestartedAndTheCallRetried() async throws {
        let estate = try PluginEstate()
        defer { estate.directory.remove() }
        let marker = estate.directory.file("crashed")
        let result = try await estate.ballast(["apply", estate.manifests, "--auto-approve"], environment: ["IPAM_CRASH_ONCE": marker])
        #expect(FileManager.default.fileExists(atPath: marker), "the plugin crashed once")
        #expect(result.exitCode == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("2 attempts"))
        #expect(try estate.address("web-1") != nil)
    }

    @Test func aMalformedAnswerIsAClearError() async throws {
        let estate = try PluginEstate()
        defer { estate.directory.remove() }
        let result = try await estate.ballast(["plan", estate.manifests], environment: ["IPAM_MALFORMED": "observe"])
        #expect(result.stdout.contains("plugin ipam sent a line that is not a JSON object: this is not json"), "\(result.stdout)\(result.stderr)")
    }

    @Test func aPluginThatDoesNotAnswerTimesOut() async throws {
        let estate = try PluginEstate()
        defer { estate.directory.remove() }
        // 3 s: the handshake (a Python start) must fit in it on a loaded machine; observe never answers.
        let result = try await estate.ballast(["plan", estate.manifests], environment: ["IPAM_HANG": "observe", "BALLAST_PLUGIN_TIMEOUT": "3"])
        #expect(result.exitCode == 0)
        #expect(result.stdout.contains("plugin ipam did not answer observe within 3.0 seconds"), "\(result.stdout)\(result.stderr)")
    }

    @Test func anUnsupportedProtocolVersionIsReportedNotUsed() async throws {
        let estate = try PluginEstate()
        defer { estate.directory.remove() }
        estate.directory.write("plugins/ballast-provider-future", """
        #!/bin/sh
        echo '{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":99}}'
        echo '{"jsonrpc":"2.0","id":2,"result":{"kinds":[]}}'
        """)
        _ = chmod(estate.directory.file("plugins/ballast-provider-future"), 0o755)
        let result = try await estate.ballast(["providers"], environment: ["BALLAST_PLUGIN_PATH": estate.directory.file("plugins")])
        #expect(result.exitCode == 0)
        #expect(!result.stdout.contains("plugin:future"))
        #expect(result.stderr.contains("plugin future speaks protocol version 99; Ballast speaks 1"))
    }
}
