import BallastCore
import BallastTesting
import Foundation
import Testing

private let withoutPreventDestroy: @Sendable (String) -> String = { $0.replacingOccurrences(of: "preventDestroy: true", with: "preventDestroy: false") }

private let oneSite = """
    apiVersion: ballast.dev/v1
    kind: Site
    metadata: { name: s }
    spec: { class: cloud, provider: sim }

    """

private func bucket(_ name: String, policy: String = "") -> String {
    "apiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: { name: \(name), site: s }\nspec: {}\n" + (policy.isEmpty ? "" : "policy: { \(policy) }\n")
}

/// A workspace of one site and `files` (name: YAML) beside it, applied.
private func appliedWorkspace(_ files: [String: String]) async throws -> Workspace {
    let workspace = try Workspace(yaml: oneSite)
    for (name, text) in files.sorted(by: { $0.key < $1.key }) { workspace.directory.write("manifests/" + name, text) }
    let applied = try await workspace.run(["apply", workspace.manifests, "--auto-approve"])
    #expect(applied.exitCode == 0, "\(applied.stderr)")
    return workspace
}

/// Each scenario in which a file, a plan or a gate could delete or change what the user did not
/// ask for, reproduced with the real CLI: nothing beyond what the plan showed may happen.
@Suite("Trust: data safety", .serialized)
struct TrustTests {
    /// Changes a saved plan's JSON as an attacker would, and seals it again when `key` is given.
    private func tamper(_ path: String, key: [UInt8]?, _ change: (inout [String: Value]) -> Void) throws {
        guard case .map(let fields) = try JSONValueParser.parse(try String(contentsOfFile: path, encoding: .utf8)) else { throw CocoaError(.fileReadCorruptFile) }
        var root: [String: Value] = [:]
        for entry in fields { root[entry.key] = entry.value }
        change(&root)
        var value = Value.map(Fields(root))
        if let key { value = PlanSeal.seal(try PlanJSON.decode(value), key: key) }
        try Data(JSONText.pretty(value).utf8).write(to: URL(fileURLWithPath: path))
    }

    private static func turnIntoDelete(_ target: String) -> (inout [String: Value]) -> Void {
        { root in
            guard case .list(var actions)? = root["actions"] else { return }
            for index in actions.indices {
                guard case .map(var action) = actions[index], action["id"]?.stringValue == target else { continue }
                action["action"] = .string("delete")
                action["reason"] = .string("not-declared")
                actions[index] = .map(action)
            }
            root["actions"] = .list(actions)
        }
    }

    @Test func anEditedSavedPlanIsRefused() async throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let plan = workspace.directory.file("plan.json")
        // plan --out on a fresh estate works: it creates the state's key.
        #expect(try await workspace.run(["plan", workspace.manifests, "--out", plan]).exitCode == 0)
        #expect(FileManager.default.fileExists(atPath: workspace.state + "/plan.key"))
        #expect(try await workspace.run(["apply", plan]).exitCode == 0)
        #expect(try await workspace.worldCount() == 21)

        // One noop turned into a delete of a declared, protected database: the seal breaks.
        #expect(try await workspace.run(["plan", workspace.manifests, "--out", plan]).exitCode == 0)
        try tamper(plan, key: nil, Self.turnIntoDelete("Database/orders@eu-central"))
        let unsealed = try await workspace.run(["apply", plan, "--auto-approve"])
        #expect(unsealed.exitCode == 1)
        #expect(unsealed.stderr.contains("its seal does not match"), "\(unsealed.stderr)")

        // Sealed again by someone who holds the key: every action is re-checked against a plan made now.
        let key = try #require(FileManager.default.contents(atPath: workspace.state + "/plan.key").flatMap { data in
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return stride(from: 0, to: text.count, by: 2).map { offset -> UInt8 in
                let start = text.index(text.startIndex, offsetBy: offset)
                return UInt8(text[start..<text.index(start, offsetBy: 2)], radix: 16)!
            } as [UInt8]?
        })
        #expect(try await workspace.run(["plan", workspace.manifests, "--out", plan]).exitCode == 0)
        try tamper(plan, key: key, Self.turnIntoDelete("Database/orders@eu-central"))
        let resealed = try await workspace.run(["apply", plan, "--auto-approve"])
        #expect(resealed.exitCode == 1)
        #expect(resealed.stderr.contains("Database/orders@eu-central: the plan says delete (no longer declared), but planning now gives noop"), "\(resealed.stderr)")
        #expect(try await workspace.worldCount() == 21, "nothing was deleted")

        // A plan file cut short is refused with its reason.
        #expect(try await workspace.run(["plan", workspace.manifests, "--out", plan]).exitCode == 0)
        let whole = try String(contentsOfFile: plan, encoding: .utf8)
        try Data(whole.prefix(whole.count / 2).utf8).write(to: URL(fileURLWithPath: plan))
        let cut = try await workspace.run(["apply", plan, "--auto-approve"])
        #expect(cut.exitCode == 1)
        #expect(cut.stderr.contains("not valid JSON"), "\(cut.stderr)")
    }

    @Test func removingMostManifestsIsRefusedWithoutAnApproval() async throws {
        let workspace = try Workspace(edit: withoutPreventDestroy)
        defer { workspace.directory.remove() }
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
        let away = workspace.directory.file("away")
        try FileManager.default.createDirectory(atPath: away, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: workspace.manifests) where file.hasSuffix(".yaml") && file != "sites.yaml" {
            try FileManager.default.moveItem(atPath: workspace.manifests + "/" + file, toPath: away + "/" + file)
        }
        let plan = try await workspace.run(["plan", workspace.manifests, "--detailed-exitcode"])
        #expect(plan.exitCode == 1)
        #expect(plan.stderr.contains("deleting 21 resources no longer declared exceeds the deletion budget of 10"), "\(plan.stderr)")
        // Still the format asked for: a pipeline reading JSON sees the held set in it.
        let json = try await workspace.run(["plan", workspace.manifests, "-o", "json"])
        #expect(json.exitCode == 1)
        #expect(json.stdout.hasPrefix("{") && json.stdout.contains("\"massDeletion\": {"), "\(json.stdout.prefix(200))")
        let apply = try await workspace.run(["apply", workspace.manifests, "--auto-approve"])
        #expect(apply.exitCode == 1)
        #expect(apply.stderr.contains("nothing was applied. Pass --allow-mass-delete"), "\(apply.stderr)")
        #expect(try await workspace.worldCount() == 21, "nothing was deleted")
        // A saved plan over the budget needs the same approval when it is applied.
        let saved = workspace.directory.file("plan.json")
        #expect(try await workspace.run(["plan", workspace.manifests, "--allow-mass-delete", "--out", saved]).exitCode == 0)
        #expect(try await workspace.run(["apply", saved]).exitCode == 1)
        #expect(try await workspace.worldCount() == 21)
        #expect(try await workspace.run(["apply", saved, "--allow-mass-delete"]).exitCode == 0)
        #expect(try await workspace.worldCount() == 0)
    }

    @Test func ignoredFieldsKeepWhatTheWorldHas() async throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
        // An autoscaler sets the replicas; then the image changes in the manifest.
        #expect(try await workspace.run(["sim", "drift", "Workload/edge-cache@edge-berlin", "replicas=5"]).exitCode == 0)
        let edge = workspace.manifests + "/edge.yaml"
        try Data(try String(contentsOfFile: edge, encoding: .utf8).replacingOccurrences(of: "edge-cache:2.4.1", with: "edge-cache:2.5.0").utf8).write(to: URL(fileURLWithPath: edge))
        let plan = try await workspace.run(["plan", workspace.manifests])
        #expect(plan.stdout.contains("image:") && !plan.stdout.contains("replicas:"), "\(plan.stdout)")
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
        let berlin = try await workspace.run(["sim", "ls"]).stdout.split(separator: "\n").first { $0.hasPrefix("Workload/edge-cache@edge-berlin ") } ?? ""
        #expect(berlin.contains("replicas=5"), "the update must not reset what the plan did not show: \(berlin)")
        #expect(berlin.contains("edge-cache:2.5.0"))
    }

    @Test func destroyingASubsetNamesTheManagedDependents() async throws {
        let workspace = try await appliedWorkspace([
            "network.yaml": "apiVersion: ballast.dev/v1\nkind: Network\nmetadata: { name: core, site: s }\nspec: { cidr: 10.0.0.0/16 }\n",
            "subnet.yaml": "apiVersion: ballast.dev/v1\nkind: Subnet\nmetadata: { name: apps, site: s }\nspec: { network: \"${Network/core.outputs.networkId}\", cidr: 10.0.1.0/24 }\n",
        ])
        defer { workspace.directory.remove() }
        let subset = [workspace.manifests + "/estate.yaml", workspace.manifests + "/network.yaml"]
        let refused = try await workspace.run(["destroy"] + subset + ["--auto-approve"])
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains("Network/core@s cannot be destroyed alone: the managed Subnet/apps@s depends on it"), "\(refused.stderr)")
        #expect(try await workspace.worldCount() == 2)
        let included = try await workspace.run(["destroy"] + subset + ["--auto-approve", "--include-dependents"])
        #expect(included.exitCode == 0, "\(included.stderr)")
        #expect(try await workspace.worldCount() == 0)
    }

    /// A document moved to another file is recorded there by the next apply, even one with
    /// nothing to change: its removal from the new file, given alone, is then a removal.
    @Test func aDocumentMovedToAnotherFileIsRecordedThere() async throws {
        let workspace = try await appliedWorkspace(["team-a.yaml": bucket("a"), "team-b.yaml": bucket("b") + "---\n" + bucket("moved")])
        defer { workspace.directory.remove() }
        workspace.directory.write("manifests/team-a.yaml", bucket("a") + "---\n" + bucket("moved"))
        workspace.directory.write("manifests/team-b.yaml", bucket("b"))
        let unchanged = try await workspace.run(["apply", workspace.manifests, "--auto-approve"])
        #expect(unchanged.exitCode == 0 && unchanged.stdout.contains("No changes"), "\(unchanged.stdout)")
        workspace.directory.write("manifests/team-a.yaml", bucket("a"))
        let subset = [workspace.manifests + "/estate.yaml", workspace.manifests + "/team-a.yaml", workspace.manifests + "/team-b.yaml"]
        let plan = try await workspace.run(["plan"] + subset + ["--detailed-exitcode"])
        #expect(plan.exitCode == 2, "\(plan.stderr)")
        #expect(plan.stdout.contains("- Bucket/moved@s  (no longer declared)"), "\(plan.stdout)")
        let alone = try await workspace.run(["plan", workspace.manifests + "/estate.yaml", workspace.manifests + "/team-a.yaml", "--detailed-exitcode"])
        #expect(alone.exitCode == 1, "team-b.yaml still declares Bucket/b")
        #expect(alone.stderr.contains("Bucket/b@s is not declared in the manifests given") && !alone.stderr.contains("Bucket/moved@s is not"), "\(alone.stderr)")
    }

    /// `destroy PATHS` deletes what the paths declare: what other files declare, and what
    /// protects it, is not its concern (it once failed on another file's preventDestroy).
    @Test func destroyingOneFileLeavesTheOthersAndTheirHoldsAlone() async throws {
        let workspace = try await appliedWorkspace(["scratch.yaml": bucket("scratch"), "kept.yaml": bucket("kept", policy: "preventDestroy: true")])
        defer { workspace.directory.remove() }
        let destroyed = try await workspace.run(["destroy", workspace.manifests + "/estate.yaml", workspace.manifests + "/scratch.yaml", "--auto-approve"])
        #expect(destroyed.exitCode == 0, "\(destroyed.stderr)")
        #expect(destroyed.stdout.contains("- Bucket/scratch@s"), "\(destroyed.stdout)")
        #expect(!destroyed.stdout.contains("Bucket/kept@s"), "\(destroyed.stdout)")
        #expect(try await workspace.worldCount() == 1, "only what the paths declare")
    }

    @Test func aPolicyOnlyChangeIsPlannedAndRecorded() async throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
        for file in try FileManager.default.contentsOfDirectory(atPath: workspace.manifests) where file.hasSuffix(".yaml") {
            let path = workspace.manifests + "/" + file
            try Data(withoutPreventDestroy(try String(contentsOfFile: path, encoding: .utf8)).utf8).write(to: URL(fileURLWithPath: path))
        }
        let plan = try await workspace.run(["plan", workspace.manifests, "--detailed-exitcode"])
        #expect(plan.exitCode == 2, "a policy change is a change")
        #expect(plan.stdout.contains("~ Database/orders@eu-central  (policy changed)"), "\(plan.stdout)")
        #expect(plan.stdout.contains("2 policies to record."))
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
        #expect(try await workspace.run(["plan", workspace.manifests, "--detailed-exitcode"]).exitCode == 0)
        let destroyed = try await workspace.run(["destroy", workspace.manifests, "--auto-approve"])
        #expect(destroyed.exitCode == 0, "the lifted policy was recorded: \(destroyed.stderr)")
    }

    @Test func aDarkSiteFailsEveryGate() async throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
        #expect(try await workspace.run(["sim", "delete", "Bucket/assets@us-east"]).exitCode == 0)
        #expect(try await workspace.run(["sim", "outage", "us-east", "on"]).exitCode == 0)
        let drift = try await workspace.run(["drift", workspace.manifests])
        #expect(drift.exitCode == 1)
        #expect(!drift.stdout.contains("No drift"))
        #expect(drift.stderr.contains("2 resources on sites that could not be observed (us-east); their drift is unknown"), "\(drift.stderr)")
        let json = try await workspace.run(["drift", workspace.manifests, "-o", "json"])
        #expect(json.stdout.contains("\"id\": \"Bucket/assets@us-east\""), "drift -o json lists what it could not observe")
        #expect(try await workspace.run(["plan", workspace.manifests, "--detailed-exitcode"]).exitCode == 1)
    }

    /// `ballast apply estate.yaml team-a.yaml`, as `kubectl apply -f` is used: team-b's resources
    /// are not declared in what was read, but their file was left out, not emptied.
    @Test(.timeLimit(.minutes(3))) func aManifestLeftOutOfThePathsGivenIsNotPruned() async throws {
        let workspace = try await appliedWorkspace(["team-a.yaml": bucket("a"), "team-b.yaml": bucket("b")])
        defer { workspace.directory.remove() }
        let subset = [workspace.manifests + "/estate.yaml", workspace.manifests + "/team-a.yaml"]
        let plan = try await workspace.run(["plan"] + subset + ["--detailed-exitcode"])
        #expect(plan.exitCode == 1, "\(plan.stdout)")
        #expect(plan.stderr.contains("Bucket/b@s is not declared in the manifests given, but it was last applied from "), "\(plan.stderr)")
        #expect(plan.stderr.contains("team-b.yaml, which still exists and was not given: it is kept"), "\(plan.stderr)")
        #expect(try await workspace.run(["apply"] + subset + ["--auto-approve"]).exitCode == 1)
        #expect(try await workspace.worldCount() == 2, "nothing was deleted")
        // `drift` judges the part given: a removal is never drift, and the other file's
        // resources are out of its scope (it once failed with the plan's errors).
        let drift = try await workspace.run(["drift"] + subset)
        #expect(drift.exitCode == 0, "\(drift.stdout)\(drift.stderr)")
        #expect(try await workspace.run(["sim", "delete", "Bucket/a@s"]).exitCode == 0)
        #expect(try await workspace.run(["drift"] + subset).exitCode == 2, "drift of what was given is reported")
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
        // Nor does the daemon start on the subset (it would prune after its delay).
        let watch = try await workspace.run(["watch"] + subset + ["--listen", "127.0.0.1:0"])
        #expect(watch.exitCode == 1)
        #expect(watch.stderr.contains("team-b.yaml, which still exists and was not given"), "\(watch.stderr)")
        // The same tree through a link is the same tree.
        let link = workspace.directory.file("linked")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: workspace.manifests)
        #expect(try await workspace.run(["plan", link, "--detailed-exitcode"]).exitCode == 0)
        // Emptied, the file says so only when it is read: given (here, within its directory).
        workspace.directory.write("manifests/team-b.yaml", "# moved to the archive\n")
        #expect(try await workspace.run(["plan"] + subset + ["--detailed-exitcode"]).exitCode == 1)
        let removal = try await workspace.run(["plan", workspace.manifests, "--detailed-exitcode"])
        #expect(removal.exitCode == 2, "\(removal.stderr)")
        #expect(removal.stdout.contains("- Bucket/b@s  (no longer declared)"), "\(removal.stdout)")
        // A file that is gone, next to files given, may have been renamed to one not given
        // (`git mv team-b.yaml team-b/main.yaml` by a teammate, pulled): the files beside are
        // read to find it, and it is kept.
        workspace.directory.write("manifests/team-b/main.yaml", bucket("b"))
        try FileManager.default.removeItem(atPath: workspace.manifests + "/team-b.yaml")
        let renamed = try await workspace.run(["apply"] + subset + ["--auto-approve"])
        #expect(renamed.exitCode == 1, "\(renamed.stdout)")
        #expect(renamed.stderr.contains("team-b/main.yaml, which was not given, declares it now (renamed, split or moved there"), "\(renamed.stderr)")
        #expect(try await workspace.worldCount() == 2, "nothing was deleted")
        #expect(try await workspace.run(["plan", workspace.manifests, "--detailed-exitcode"]).exitCode == 0, "the directory read: declared in team-b/main.yaml")
        // Removed for good, with other YAML beside (a CI workflow, a broken template that is not
        // Ballast's): nothing there declares it, so a removal.
        try FileManager.default.removeItem(atPath: workspace.manifests + "/team-b/main.yaml")
        workspace.directory.write("manifests/.github/workflows/ci.yml", "on: push\njobs: { apply: { runs-on: ubuntu-latest } }\n")
        workspace.directory.write("manifests/charts/web/templates/deploy.yaml", "metadata: {{ .Values.name }\n")
        let removed = try await workspace.run(["apply"] + subset + ["--auto-approve"])
        #expect(removed.exitCode == 0 && removed.stdout.contains("- Bucket/b@s deleted"), "\(removed.stdout)\(removed.stderr)")
        #expect(try await workspace.worldCount() == 1)
    }

    /// A document moved out of a file into a new one, then the old file applied alone (with the
    /// site's): the files beside are read, the new one declares it, and it is kept.
    @Test func aDocumentSplitIntoAFileNotGivenIsNotPruned() async throws {
        let workspace = try await appliedWorkspace(["team-a.yaml": bucket("a") + "---\n" + bucket("split")])
        defer { workspace.directory.remove() }
        workspace.directory.write("manifests/team-a.yaml", bucket("a"))
        workspace.directory.write("manifests/team-a2.yaml", bucket("split"))
        let subset = [workspace.manifests + "/estate.yaml", workspace.manifests + "/team-a.yaml"]
        let plan = try await workspace.run(["plan"] + subset + ["--detailed-exitcode"])
        #expect(plan.exitCode == 1, "\(plan.stdout)")
        #expect(plan.stderr.contains("Bucket/split@s is not declared in the manifests given, but "), "\(plan.stderr)")
        #expect(plan.stderr.contains("manifests/team-a2.yaml, which was not given, declares it now"), "\(plan.stderr)")
        #expect(try await workspace.run(["apply"] + subset + ["--auto-approve"]).exitCode == 1)
        #expect(try await workspace.worldCount() == 2, "nothing was deleted")
        // Declared nowhere: a removal, as it always was.
        try FileManager.default.removeItem(atPath: workspace.manifests + "/team-a2.yaml")
        let removed = try await workspace.run(["apply"] + subset + ["--auto-approve"])
        #expect(removed.exitCode == 0 && removed.stdout.contains("- Bucket/split@s deleted"), "\(removed.stdout)\(removed.stderr)")
    }

    /// A directory given does not read what is under a name starting with `.` (a repository's
    /// `.github/workflows/*.yaml`, `.git`): a repository's root validates. A resource applied
    /// from such a file when it was named (or by an older Ballast, which read them) is kept while
    /// the file exists, and is removed once it is gone and declared nowhere.
    @Test func hiddenNamesInADirectoryGivenAreNotReadAndNotRemovals() async throws {
        let workspace = try await appliedWorkspace(["team-a.yaml": bucket("a")])
        defer { workspace.directory.remove() }
        workspace.directory.write("manifests/.github/workflows/ci.yaml", "name: ci\non: [push]\njobs: { b: { runs-on: debian } }\n")
        workspace.directory.write("manifests/.gitlab-ci.yml", "stages: [test]\n")
        let validated = try await workspace.run(["validate", workspace.manifests])
        #expect(validated.exitCode == 0, "\(validated.stderr)")
        // Applied from a hidden directory named itself; then the tree is applied as a whole.
        workspace.directory.write("manifests/.team/b.yaml", bucket("b"))
        let named = try await workspace.run(["apply", workspace.manifests, workspace.manifests + "/.team", "--auto-approve"])
        #expect(named.exitCode == 0 && named.stdout.contains("+ Bucket/b@s created"), "\(named.stdout)\(named.stderr)")
        let tree = try await workspace.run(["apply", workspace.manifests, "--auto-approve"])
        #expect(tree.exitCode == 1, "\(tree.stdout)")
        #expect(tree.stderr.contains("manifests/.team/b.yaml declares it, and a directory given does not read what is under a name starting with '.': it is kept"), "\(tree.stderr)")
        #expect(try await workspace.worldCount() == 2, "nothing was deleted")
        // Moved to another hidden file: found there, kept.
        try FileManager.default.moveItem(atPath: workspace.manifests + "/.team/b.yaml", toPath: workspace.manifests + "/.team/b2.yaml")
        let moved = try await workspace.run(["apply", workspace.manifests, "--auto-approve"])
        #expect(moved.exitCode == 1 && moved.stderr.contains("manifests/.team/b2.yaml declares it, and a directory given does not read"), "\(moved.stdout)\(moved.stderr)")
        #expect(try await workspace.worldCount() == 2, "nothing was deleted")
        // Gone, and declared nowhere under the directory given: a removal.
        try FileManager.default.removeItem(atPath: workspace.manifests + "/.team/b2.yaml")
        let removed = try await workspace.run(["apply", workspace.manifests, "--auto-approve"])
        #expect(removed.exitCode == 0 && removed.stdout.contains("- Bucket/b@s deleted"), "\(removed.stdout)\(removed.stderr)")
        // A directory holding only hidden manifests says why nothing was read.
        let onlyHidden = workspace.directory.file("only-hidden")
        workspace.directory.write("only-hidden/.estate.yaml", bucket("c"))
        let nothing = try await workspace.run(["validate", onlyHidden])
        #expect(nothing.exitCode == 1 && nothing.stderr.contains("no *.yaml or *.yml files in this directory (only hidden ones"), "\(nothing.stderr)")
    }

    /// A Kubernetes ConfigMap volume given as a directory: `estate.yaml -> ..data/estate.yaml`,
    /// `..data -> ..v1`. Its files are read through the links and recorded by their real paths,
    /// under hidden names; an update writes `..v2`, swaps `..data` and removes `..v1`. A document
    /// dropped from the ConfigMap is a removal, as it was before hidden names were passed over.
    @Test func aDocumentDroppedFromAKubernetesVolumeIsARemoval() async throws {
        let workspace = try Workspace(yaml: oneSite)
        defer { workspace.directory.remove() }
        let volume = workspace.directory.file("volume")
        workspace.directory.write("volume/..v1/estate.yaml", oneSite + "---\n" + bucket("a") + "---\n" + bucket("b"))
        try FileManager.default.createSymbolicLink(atPath: volume + "/..data", withDestinationPath: "..v1")
        try FileManager.default.createSymbolicLink(atPath: volume + "/estate.yaml", withDestinationPath: "..data/estate.yaml")
        let first = try await workspace.run(["apply", volume, "--auto-approve"])
        #expect(first.exitCode == 0 && first.stdout.contains("+ Bucket/b@s created"), "\(first.stdout)\(first.stderr)")
        workspace.directory.write("volume/..v2/estate.yaml", oneSite + "---\n" + bucket("a"))
        try FileManager.default.createSymbolicLink(atPath: volume + "/..data_tmp", withDestinationPath: "..v2")
        #expect(rename(volume + "/..data_tmp", volume + "/..data") == 0)
        try FileManager.default.removeItem(atPath: volume + "/..v1")
        let second = try await workspace.run(["apply", volume, "--auto-approve"])
        #expect(second.exitCode == 0 && second.stdout.contains("- Bucket/b@s deleted"), "\(second.stdout)\(second.stderr)")
        #expect(try await workspace.worldCount() == 1)
    }

    /// The repository moved (or was cloned again, or is checked out on another machine sharing
    /// the state): team-b's recorded file is gone from where it was, but the checkout in hand
    /// has it. Leaving it out is not removing it; removing it there is.
    @Test func aMovedRepositoryStillKeepsWhatItsOtherFilesDeclare() async throws {
        let workspace = try await appliedWorkspace(["team-a.yaml": bucket("a"), "team-b.yaml": bucket("b")])
        defer { workspace.directory.remove() }
        let moved = workspace.directory.file("src/clone/manifests")
        try FileManager.default.createDirectory(atPath: workspace.directory.file("src/clone"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: workspace.manifests, toPath: moved)
        // Only a new file and the site's: nothing declared was recorded before, so nothing
        // declared says where the tree went; the checkout in hand is searched.
        workspace.directory.write("src/clone/manifests/team-c.yaml", bucket("c"))
        let newFileOnly = try await workspace.run(["apply", moved + "/estate.yaml", moved + "/team-c.yaml", "--auto-approve"])
        #expect(newFileOnly.exitCode == 1, "\(newFileOnly.stdout)")
        #expect(newFileOnly.stderr.contains("src/clone/manifests/team-a.yaml, which was not given, declares it now"), "\(newFileOnly.stderr)")
        #expect(try await workspace.worldCount() == 2, "nothing was deleted, nor created")
        let subset = [moved + "/estate.yaml", moved + "/team-a.yaml"]
        let plan = try await workspace.run(["plan"] + subset + ["--detailed-exitcode"])
        #expect(plan.exitCode == 1, "\(plan.stdout)")
        #expect(plan.stderr.contains("src/clone/manifests/team-b.yaml, which still exists and was not given: it is kept"), "\(plan.stderr)")
        #expect(try await workspace.run(["apply"] + subset + ["--auto-approve"]).exitCode == 1)
        #expect(try await workspace.worldCount() == 2, "nothing was deleted")
        #expect(try await workspace.run(["apply", moved, "--auto-approve"]).exitCode == 0, "the whole tree where it is now")
        try FileManager.default.removeItem(atPath: moved + "/team-c.yaml")
        try FileManager.default.removeItem(atPath: moved + "/team-b.yaml")
        let removal = try await workspace.run(["apply", moved, "--auto-approve"])
        #expect(removal.exitCode == 0 && removal.stdout.contains("- Bucket/b@s deleted"), "\(removal.stdout)")
    }

    /// Manifests piped in (`cat estate/*.yaml | ballast apply -`) name no file: that run keeps
    /// the files recorded before, so a later run on part of the tree still keeps what the
    /// other files declare (it once recorded "no file" and the next subset deleted them).
    @Test func manifestsOnStandardInputKeepTheRecordedFiles() async throws {
        let workspace = try await appliedWorkspace(["team-a.yaml": bucket("a"), "team-b.yaml": bucket("b")])
        defer { workspace.directory.remove() }
        let everything = try ["estate.yaml", "team-a.yaml", "team-b.yaml"]
            .map { try String(contentsOfFile: workspace.manifests + "/" + $0, encoding: .utf8) }.joined(separator: "---\n")
        let piped = try await workspace.run(["apply", "-", "--auto-approve"], stdin: everything)
        #expect(piped.exitCode == 0 && piped.stdout.contains("No changes"), "\(piped.stderr)")
        let subset = [workspace.manifests + "/estate.yaml", workspace.manifests + "/team-a.yaml"]
        let plan = try await workspace.run(["plan"] + subset + ["--detailed-exitcode"])
        #expect(plan.exitCode == 1, "\(plan.stdout)")
        #expect(plan.stderr.contains("team-b.yaml, which still exists and was not given: it is kept"), "\(plan.stderr)")
        // Piped in without team-b's documents, the file still exists: standard input is no path.
        let partial = try await workspace.run(["apply", "-", "--auto-approve"], stdin: oneSite + "---\n" + bucket("a"))
        #expect(partial.exitCode == 1, "\(partial.stdout)")
        #expect(try await workspace.worldCount() == 2, "nothing was deleted")
        // A stream named as a path (`<(cat …)`, here a named pipe) is no file either.
        let pipe = workspace.directory.file("estate.fifo")
        #expect(mkfifo(pipe, 0o600) == 0)
        let writer = Task.detached { try Data(everything.utf8).write(to: URL(fileURLWithPath: pipe)) }
        let streamed = try await workspace.run(["apply", pipe, "--auto-approve"])
        try await writer.value
        #expect(streamed.exitCode == 0 && streamed.stdout.contains("No changes"), "\(streamed.stderr)")
        #expect(try await workspace.run(["plan"] + subset + ["--detailed-exitcode"]).stderr.contains("team-b.yaml, which still exists and was not given"))
    }

    @Test func pruneFalseKeepsAResourceThatIsNoLongerDeclared() async throws {
        let kept = "apiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: { name: keep, site: s }\nspec: {}\npolicy: { prune: false }\n"
        let workspace = try Workspace(yaml: oneSite)
        defer { workspace.directory.remove() }
        workspace.directory.write("manifests/kept.yaml", kept)
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
        try FileManager.default.removeItem(atPath: workspace.manifests + "/kept.yaml")
        let plan = try await workspace.run(["plan", workspace.manifests, "--detailed-exitcode"])
        #expect(plan.exitCode == 0, "nothing to do: \(plan.stdout)")
        #expect(plan.stderr.contains("Bucket/keep@s is no longer declared, but policy.prune is false: it is kept"), "\(plan.stderr)")
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
        #expect(try await workspace.worldCount() == 1)
    }

    @Test func anEstateDefaultOfPruneFalseKeepsEveryResourceThatDoesNotSayOtherwise() async throws {
        let estate = "apiVersion: ballast.dev/v1\nkind: Estate\nmetadata: { name: prod }\nspec: { policy: { prune: false } }\n"
        let buckets = ["kept-a", "kept-b"].map { "apiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: { name: \($0), site: s }\nspec: {}\n" }
        let prunable = "apiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: { name: scratch, site: s }\nspec: {}\npolicy: { prune: true }\n"
        let workspace = try Workspace(yaml: oneSite)
        defer { workspace.directory.remove() }
        workspace.directory.write("manifests/estate.d/estate.yaml", estate)
        workspace.directory.write("manifests/estate.d/buckets.yaml", (buckets + [prunable]).joined(separator: "---\n"))
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
        #expect(try await workspace.worldCount() == 3)
        // Everything but the sites goes, the Estate document with it: the defaults applied are
        // recorded with each resource, so they still hold.
        try FileManager.default.removeItem(atPath: workspace.manifests + "/estate.d")
        let plan = try await workspace.run(["plan", workspace.manifests])
        #expect(plan.stdout.contains("Bucket/scratch@s"), "the resource that said prune: true is pruned: \(plan.stdout)")
        for name in ["kept-a", "kept-b"] {
            #expect(plan.stderr.contains("Bucket/\(name)@s is no longer declared, but policy.prune is false: it is kept"), "\(plan.stderr)")
        }
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
        #expect(try await workspace.worldCount() == 2)
    }

    @Test func anEstateIsDeclaredOnce() async throws {
        let estate = "apiVersion: ballast.dev/v1\nkind: Estate\nmetadata: { name: prod }\nspec: { policy: { prune: false, ignoreChanges: [spec.x] } }\n"
        let workspace = try Workspace(yaml: oneSite + "---\n" + estate + "---\n" + estate)
        defer { workspace.directory.remove() }
        let result = try await workspace.run(["validate", workspace.manifests])
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("unknown field 'ignoreChanges' in spec.policy"), "\(result.stderr)")
        #expect(result.stderr.contains("error: a second Estate document 'prod': an estate has one"), "\(result.stderr)")
    }

    @Test func referencesAreConvertedAndCheckedAgainstTheirFieldsType() async throws {
        let workload = "apiVersion: ballast.dev/v1\nkind: Workload\nmetadata: { name: api, site: s }\nspec: { image: \"app:1\", port: \"${env:API_PORT}\", replicas: \"${env:API_REPLICAS}\" }\n"
        let workspace = try Workspace(yaml: oneSite + "---\n" + workload)
        defer { workspace.directory.remove() }
        let wrong = try await workspace.run(["apply", workspace.manifests, "--auto-approve"], environment: ["API_PORT": "eighty-eighty", "API_REPLICAS": "2"])
        #expect(wrong.exitCode == 1)
        // At the field that holds the reference (line 9 of the estate, after the site's 5 lines).
        #expect(wrong.stderr.contains("estate.yaml:9:31: error: Workload/api@s: 'spec.port' must be an int, but ${env:API_PORT} resolved to a value that is not one"), "\(wrong.stderr)")
        #expect(!wrong.stderr.contains("eighty-eighty"), "the value may be a secret")
        #expect(try await workspace.worldCount() == 0, "nothing applied")
        let right = try await workspace.run(["apply", workspace.manifests, "--auto-approve"], environment: ["API_PORT": "8080", "API_REPLICAS": "2"])
        #expect(right.exitCode == 0, "\(right.stderr)")
        let line = try await workspace.run(["sim", "ls"]).stdout
        #expect(line.contains("port=8080") && !line.contains("port=\"8080\""), "the provider gets an int: \(line)")
        // Converted values compare equal to what the world has: nothing to do.
        #expect(try await workspace.run(["plan", workspace.manifests, "--detailed-exitcode"], environment: ["API_PORT": "8080", "API_REPLICAS": "2"]).exitCode == 0)
    }
}
