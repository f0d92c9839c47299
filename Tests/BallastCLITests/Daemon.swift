import BallastCore
import BallastTesting
import Foundation
import Testing

private let root = Repository.root(from: #filePath)

/// A running `ballast watch` on a private copy of the hybrid example.
struct Daemon {
    let directory = TemporaryDirectory(prefix: "ballast-watch")
    let runner: CLIRunner
    let watch: WatchProcess
    var manifests: String { directory.file("manifests") }
    var state: String { directory.file("state") }

    init(arguments: [String] = [], environment: [String: String] = [:], listen: String = "127.0.0.1:0", edit: (String) -> String = { $0 }) async throws {
        runner = CLIRunner(workingDirectory: root, environment: environment)
        try #require(runner.isAvailable, "build the CLI first: swift build")
        try FileManager.default.copyItem(atPath: root + "/manifests/examples/hybrid", toPath: directory.file("manifests"))
        let manifests = directory.file("manifests")
        for file in try FileManager.default.contentsOfDirectory(atPath: manifests) where file.hasSuffix(".yaml") {
            let path = manifests + "/" + file
            try Data(edit(try String(contentsOfFile: path, encoding: .utf8)).utf8).write(to: URL(fileURLWithPath: path))
        }
        watch = try await WatchProcess(
            cli: runner, arguments: [directory.file("manifests"), "--state", directory.file("state")] + arguments, directory: directory.path, listen: listen)
    }

    @discardableResult
    func cli(_ arguments: [String]) async throws -> CLIRunner.Result {
        try await runner.run(arguments + ["--state", state])
    }

    /// The sim world's line for one resource (`ballast sim ls`).
    func world(_ id: String) async throws -> String? {
        try await cli(["sim", "ls"]).stdout.split(separator: "\n").first { $0.hasPrefix(id + " ") }.map(String.init)
    }

    func journal() async throws -> [Value] {
        guard case .map(let fields) = try await JSONValueParser.parse(try cli(["events", "-o", "json"]).stdout), case .list(let events)? = fields["events"] else { return [] }
        return events
    }

    func writeManifest(_ name: String, _ text: String) throws {
        // Write beside, then rename: the poller never sees half a file.
        let path = manifests + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path + ".tmp"))
        _ = rename(path + ".tmp", path)
    }

    func stop() async {
        _ = await watch.terminate()
        directory.remove()
    }
}

