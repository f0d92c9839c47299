import BallastTesting
import Foundation
import Testing

private let root = Repository.root(from: #filePath)

/// A private copy of an example (so tests may edit it) and a state directory.
struct Workspace {
    let directory = TemporaryDirectory(prefix: "ballast-apply")
    var manifests: String { directory.file("manifests") }
    /// A state directory in the workspace, or a PostgreSQL URL.
    let state: String
    let runner: CLIRunner

    /// `postgres`: a PostgreSQL URL for the state; local data then goes to DATA in the workspace.
    init(copying example: String = "hybrid", postgres: String? = nil, edit: (String) -> String = { $0 }) throws {
        state = postgres ?? directory.file("state")
        runner = CLIRunner(workingDirectory: root)
        try #require(runner.isAvailable, "build the CLI first: swift build")
        let source = root + "/manifests/examples/" + example
        try FileManager.default.copyItem(atPath: source, toPath: directory.file("manifests"))
        for file in try FileManager.default.contentsOfDirectory(atPath: manifests) where file.hasSuffix(".yaml") {
            let path = manifests + "/" + file
            let text = String(decoding: FileManager.default.contents(atPath: path)!, as: UTF8.self)
            try Data(edit(text).utf8).write(to: URL(fileURLWithPath: path))
        }
    }

    init(yaml: String) throws {
        state = directory.file("state")
        runner = CLIRunner(workingDirectory: root)
        try #require(runner.isAvailable, "build the CLI first: swift build")
        directory.write("manifests/estate.yaml", yaml)
    }

    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:], stdoutClosed: Bool = false) async throws -> CLIRunner.Result {
        let data = state.hasPrefix("postgres") ? ["--data-dir", directory.file("data")] : []
        return try await runner.run(arguments + ["--state", state] + data, stdin: stdin, environment: environment, stdoutClosed: stdoutClosed)
    }

    /// Masks what differs between runs: durations and the temporary path.
    func masked(_ text: String) -> String {
        text.replacingOccurrences(of: directory.path, with: "WORKSPACE")
            .replacingOccurrences(of: #"\(\d+\.\ds"#, with: "(N.Ns", options: .regularExpression)
    }

    func json(_ arguments: [String]) async throws -> Any {
        let result = try await run(arguments + ["-o", "json"])
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }

    /// For each resource, how many creates succeeded or were adopted after a crash.
    func successfulCreates() async throws -> [String: Int] {
        let events = await (try json(["events"]) as? [String: Any])?["events"] as? [[String: Any]] ?? []
        var counts: [String: Int] = [:]
        for event in events where ["create", "replace"].contains(event["action"] as? String) && ["succeeded", "adopted"].contains(event["status"] as? String) {
            counts[event["id"] as! String, default: 0] += 1
        }
        return counts
    }

    func unfinishedEvents() async throws -> Int {
        let events = await (try json(["events"]) as? [String: Any])?["events"] as? [[String: Any]] ?? []
        return events.count { $0["status"] as? String == "unfinished" }
    }

    /// After an interrupted run and the one that finished it: the hybrid example's 21 resources
    /// exist, each was created exactly once (created or adopted), no intent is left open, and
    /// a plan finds nothing to do.
    func expectConvergedWithEveryCreateOnce(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        #expect(try await worldCount() == 21, sourceLocation: sourceLocation)
        let creates = try await successfulCreates()
        #expect(creates.count == 21, sourceLocation: sourceLocation)
        #expect(creates.values.allSatisfy { $0 == 1 }, "no resource was created twice: \(creates.filter { $0.value != 1 })", sourceLocation: sourceLocation)
        #expect(try await unfinishedEvents() == 0, sourceLocation: sourceLocation)
        #expect(try await run(["plan", manifests, "--detailed-exitcode"]).exitCode == 0, "no changes left", sourceLocation: sourceLocation)
    }


    func worldCount() async throws -> Int {
        ((try await json(["sim", "ls"]) as? [String: Any])?["resources"] as? [Any])?.count ?? -1
    }
}

