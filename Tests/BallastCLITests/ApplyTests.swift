import BallastTesting
import Foundation
import Testing

private let root = Repository.root(from: #filePath)

private let withoutPreventDestroy: @Sendable (String) -> String = { $0.replacingOccurrences(of: "preventDestroy: true", with: "preventDestroy: false") }

@Suite("Apply lifecycle", .serialized)
struct ApplyTests {
    @Test func lifecycleFromEmptyToDestroyed() async throws {
        let workspace = try Workspace(edit: withoutPreventDestroy)
        defer { workspace.directory.remove() }
        let m = workspace.manifests
        var transcript = ""
        func step(_ arguments: [String], expect code: Int32) async throws {
            let result = try await workspace.run(arguments + (["apply", "destroy"].contains(arguments[0]) ? ["--parallelism", "1"] : []))
            transcript += workspace.masked("$ ballast \(arguments.joined(separator: " "))\n") + workspace.masked(result.stdout) + workspace.masked(result.stderr) + "[exit \(result.exitCode)]\n\n"
            #expect(result.exitCode == code, "ballast \(arguments.joined(separator: " ")): \(result.stderr)")
        }
        try await step(["apply", m, "--auto-approve"], expect: 0)
        try await step(["plan", m, "--detailed-exitcode"], expect: 0)
        try await step(["sim", "drift", "Database/orders@eu-central", "sizeGb=80"], expect: 0)
        try await step(["drift", m], expect: 2)
        try await step(["apply", m, "--auto-approve"], expect: 0)
        try await step(["drift", m], expect: 2)  // only the observe-only database, which Ballast never creates
        try await step(["status"], expect: 0)
        try await step(["destroy", m, "--auto-approve"], expect: 0)
        try await step(["sim", "ls"], expect: 0)
        try await step(["get"], expect: 0)
        let mismatch = Golden.mismatch(transcript, file: root + "/Tests/BallastCLITests/Golden/apply-lifecycle.txt")
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    @Test func destroyRefusesPreventDestroy() async throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
        let result = try await workspace.run(["destroy", workspace.manifests, "--auto-approve"])
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("Database/orders@eu-central has policy.preventDestroy: destroy refuses to delete it"))
        #expect(try await workspace.worldCount() == 21, "nothing was deleted")
    }

    @Test func applyWithoutATerminalNeedsAutoApprove() async throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let result = try await workspace.run(["apply", workspace.manifests])
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("apply needs confirmation, but standard input is not a terminal; pass --auto-approve"))
        #expect(try await workspace.worldCount() == 0)
    }

    @Test func aFlakySiteConvergesWithinTheRetryBudget() async throws {
        let workspace = try Workspace(edit: { $0.replacingOccurrences(of: "config: { latencyMs: 10 }", with: "config: { latencyMs: 1, failureRate: 0.3 }") })
        defer { workspace.directory.remove() }
        let result = try await workspace.run(["apply", workspace.manifests, "--auto-approve"], environment: ["BALLAST_SIM_SEED": "7"])
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(result.stdout.contains("attempts)"), "some actions needed retries")
        #expect(try await workspace.run(["plan", workspace.manifests, "--detailed-exitcode"]).exitCode == 0)
    }

    @Test func aFailingSiteSkipsDependentsAndASecondRunFinishes() async throws {
        let failing = { (text: String) in text.replacingOccurrences(of: "config: { latencyMs: 2 }", with: "config: { latencyMs: 0, failureRate: 1.0 }") }
        let workspace = try Workspace(edit: failing)
        defer { workspace.directory.remove() }
        let first = try await workspace.run(["apply", workspace.manifests, "--auto-approve"])
        #expect(first.exitCode == 1)
        #expect(first.stdout.contains("! Network/dc@dc-frankfurt create failed"))
        #expect(first.stdout.contains("LoadBalancer/web@eu-central skipped: depends on"))
        #expect(first.stdout.contains("Apply incomplete: 15 applied, 1 failed, 5 skipped."))
        // The site is fixed: the next run does only what is left.
        let path = workspace.manifests + "/sites.yaml"
        let fixed = String(decoding: FileManager.default.contents(atPath: path)!, as: UTF8.self).replacingOccurrences(of: "failureRate: 1.0", with: "failureRate: 0")
        try Data(fixed.utf8).write(to: URL(fileURLWithPath: path))
        let second = try await workspace.run(["apply", workspace.manifests, "--auto-approve"])
        #expect(second.exitCode == 0, "\(second.stderr)")
        #expect(second.stdout.contains("Apply complete: 6 applied, 0 failed, 0 skipped."))
        #expect(try await workspace.successfulCreates().values.allSatisfy { $0 == 1 })
    }

    @Test func twoAppliesAtOnceOneFailsWithTheLockMessage() async throws {
        let workspace = try Workspace(edit: { $0.replacingOccurrences(of: "latencyMs: 2", with: "latencyMs: 400") })
        defer { workspace.directory.remove() }
        // The first stops itself after its first intent, holding the lock until it is woken.
        let first = try workspace.runner.start(
            ["apply", workspace.manifests, "--auto-approve", "--parallelism", "1", "--state", workspace.state],
            stdout: workspace.directory.file("first.out"), stderr: workspace.directory.file("first.err"), environment: ["BALLAST_FAILPOINT": "after-intent:1:stop"])
        #expect(await WatchProcess.eventually(timeout: .seconds(60)) { ProcessState.isStopped(first.pid) }, "the first run holds the lock")
        let second = try await workspace.run(["apply", workspace.manifests, "--auto-approve"])
        #expect(second.exitCode == 1)
        #expect(second.stderr.contains("is locked by ballast apply (pid \(first.pid)) since"))
        #expect(second.stderr.contains("retry, or pass --lock-timeout 60s"))
        first.send(SIGCONT)
        #expect(await first.exit(within: .seconds(120)))
        #expect(first.exitCode == 0)
        #expect(try await workspace.run(["plan", workspace.manifests, "--detailed-exitcode"]).exitCode == 0)
        #expect(try await workspace.unfinishedEvents() == 0)
    }

    @Test(arguments: StateBackend.allCases, ["before-intent:4", "after-intent:4", "after-provider-create:4", "after-provider:9", "after-outcome:4"])
    func killedMidApplyRecoversWithoutDuplicates(backend: StateBackend, failpoint: String) async throws {
        let workspace = try await backend.workspace()
        defer { workspace.directory.remove() }
        let crashed = try await workspace.run(["apply", workspace.manifests, "--auto-approve", "--parallelism", "3"], environment: ["BALLAST_FAILPOINT": failpoint])
        #expect(crashed.exitCode == 137, "killed by SIGKILL (128 + 9) at \(failpoint)")
        #expect(!crashed.stdout.contains("Apply complete"))
        let resumed = try await workspace.run(["apply", workspace.manifests, "--auto-approve"])
        #expect(resumed.exitCode == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("took over the state lock"))
        try await workspace.expectConvergedWithEveryCreateOnce()
    }

    /// `--out` never overwrites a manifest that was read, and never writes a plan under a name
    /// `apply` would read as manifests.
    @Test func aPlanIsNotSavedOverAManifest() async throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let manifest = workspace.manifests + "/us-east.yaml"
        let original = try String(contentsOfFile: manifest, encoding: .utf8)
        let yaml = try await workspace.run(["plan", workspace.manifests, "--out", manifest])
        #expect(yaml.exitCode != 0)
        #expect(yaml.stderr.contains("apply reads *.yaml and *.yml files as manifests"), "\(yaml.stderr)")
        let json = workspace.manifests + "/extra.json"
        workspace.directory.write("manifests/extra.json", #"{"apiVersion": "ballast.dev/v1", "kind": "Bucket", "metadata": {"name": "j", "site": "us-east"}, "spec": {}}"#)
        let named = try await workspace.run(["plan", workspace.manifests, json, "--out", workspace.directory.file("manifests/./extra.json")])
        #expect(named.exitCode == 1)
        #expect(named.stderr.contains("one of the manifests read: the plan would overwrite it"), "\(named.stderr)")
        #expect(try String(contentsOfFile: manifest, encoding: .utf8) == original)
        #expect(try String(contentsOfFile: json, encoding: .utf8).contains("\"name\": \"j\""))
    }

    @Test func aStalePlanIsRefusedAndAFreshOneApplies() async throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let m = workspace.manifests
        let planFile = workspace.directory.file("plan.json")
        #expect(try await workspace.run(["apply", m, "--auto-approve"]).exitCode == 0)
        try await workspace.run(["sim", "drift", "Database/orders@eu-central", "sizeGb=80"])
        #expect(try await workspace.run(["plan", m, "--out", planFile]).exitCode == 0)
        try await workspace.run(["sim", "drift", "Database/orders@eu-central", "sizeGb=90"])
        let stale = try await workspace.run(["apply", planFile])
        #expect(stale.exitCode == 1)
        #expect(stale.stderr.contains("the saved plan \(planFile) is stale"))
        #expect(stale.stderr.contains("Database/orders@eu-central changed since the plan was made (revision"))

        #expect(try await workspace.run(["plan", m, "--out", planFile]).exitCode == 0)
        let path = m + "/us-east.yaml"
        let original = String(decoding: FileManager.default.contents(atPath: path)!, as: UTF8.self)
        try Data(original.replacingOccurrences(of: "sizeGb: 200", with: "sizeGb: 300").utf8).write(to: URL(fileURLWithPath: path))
        let edited = try await workspace.run(["apply", planFile])
        #expect(edited.exitCode == 1)
        #expect(edited.stderr.contains("the manifests changed since the plan was made"))

        try Data(original.utf8).write(to: URL(fileURLWithPath: path))
        let fresh = try await workspace.run(["apply", planFile])
        #expect(fresh.exitCode == 0, "\(fresh.stderr)")
        #expect(fresh.stdout.contains("~ Database/orders@eu-central updated"))
        #expect(try await workspace.run(["plan", m, "--detailed-exitcode"]).exitCode == 0)
    }
}
