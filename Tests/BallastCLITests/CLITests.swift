import BallastCore
import BallastTesting
import Foundation
import Testing

private let root = Repository.root(from: #filePath)

/// A CLI runner in the repository root with its own state directory.
private struct Session {
    let state = TemporaryDirectory(prefix: "ballast-cli")
    let runner = CLIRunner(workingDirectory: root)

    func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) async throws -> CLIRunner.Result {
        try #require(runner.isAvailable, "build the CLI first: swift build (looked for \(runner.executable))")
        return try await runner.run(arguments + ["--state", state.path], stdin: stdin, environment: environment)
    }
}

/// A session, and a directory for manifests; both removed after `body`.
private func withManifestDirectory(_ body: (Session, TemporaryDirectory) async throws -> Void) async throws {
    let session = Session()
    let manifests = TemporaryDirectory(prefix: "ballast-cli-manifests")
    defer {
        session.state.remove()
        manifests.remove()
    }
    try await body(session, manifests)
}

private let sitesOnly = """
apiVersion: ballast.dev/v1
kind: Site
metadata: { name: lab }
spec: { class: datacenter, provider: sim }

"""

private let oneBucket = sitesOnly + """
---
apiVersion: ballast.dev/v1
kind: Bucket
metadata: { name: photos, site: lab }
spec: { versioning: true }

"""

@Suite("CLI", .serialized)
struct CLITests {
    @Test func validateTheHybridExample() async throws {
        let session = Session()
        defer { session.state.remove() }
        let result = try await session.run(["validate", "manifests/examples/hybrid"])
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(result.stdout == "Valid: 22 resources on 6 sites, 5 dependency layers.\n")
        #expect(result.stderr.isEmpty)
    }

    @Test func validateReportsEveryErrorAndExitsOne() async throws {
        let session = Session()
        defer { session.state.remove() }
        let result = try await session.run(["validate", "manifests/examples/invalid"])
        #expect(result.exitCode == 1)
        let mismatch = Golden.mismatch(result.stderr, file: root + "/Tests/BallastCoreTests/Golden/invalid-diagnostics.txt")
        #expect(mismatch == nil, "\(mismatch ?? "")")
        #expect(result.stdout.isEmpty)
    }

    /// The examples say what Ballast prints about them: in the invalid one, every line with a
    /// comment after its content has an error (or a note) on that line, and each valid example
    /// validates, with its summary kept as a golden file.
    @Test func everyExampleMatchesWhatItsCommentsPromise() async throws {
        let session = Session()
        defer { session.state.remove() }
        let examples = try FileManager.default.contentsOfDirectory(atPath: root + "/manifests/examples").sorted()
        for example in examples {
            let directory = "manifests/examples/" + example
            let result = try await session.run(["validate", directory], environment: ["BALLAST_PLUGIN_PATH": root + "/examples/providers"])
            if example == "invalid" {
                let reported = Set(result.stderr.split(separator: "\n").compactMap { line -> String? in
                    let parts = line.split(separator: ":")
                    return parts.count > 2 ? "\(parts[0]):\(parts[1])" : nil
                })
                for file in try FileManager.default.contentsOfDirectory(atPath: root + "/" + directory).sorted() {
                    let lines = try String(contentsOfFile: root + "/" + directory + "/" + file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
                    for (index, line) in lines.enumerated() {
                        guard let hash = line.range(of: " # "), !line[..<hash.lowerBound].trimmingCharacters(in: .whitespaces).isEmpty else { continue }
                        #expect(reported.contains("\(directory)/\(file):\(index + 1)"), "\(directory)/\(file):\(index + 1) promises '\(line[hash.upperBound...])', but nothing is reported there")
                    }
                }
                continue
            }
            #expect(result.exitCode == 0, "\(example): \(result.stderr)")
            let mismatch = Golden.mismatch(result.stdout + result.stderr, file: root + "/Tests/BallastCLITests/Golden/validate-\(example).txt")
            #expect(mismatch == nil, "\(mismatch ?? "")")
        }
    }

    @Test func validateReadsStandardInput() async throws {
        let session = Session()
        defer { session.state.remove() }
        let good = try await session.run(["validate", "-"], stdin: oneBucket)
        #expect(good.exitCode == 0)
        #expect(good.stdout == "Valid: 1 resource on 1 site, 1 dependency layer.\n")
        let bad = try await session.run(["validate", "-"], stdin: oneBucket.replacingOccurrences(of: "versioning: true", with: "versioning: sure"))
        #expect(bad.exitCode == 1)
        #expect(bad.stderr == "<stdin>:9:21: error: 'versioning' must be a bool, found a string\n1 error\n")
    }

    @Test func validateAsJSONForCI() async throws {
        let session = Session()
        defer { session.state.remove() }
        let result = try await session.run(["validate", "-", "-o", "json"], stdin: "kind: Bucket\n")
        #expect(result.exitCode == 1)
        #expect(result.stdout.contains("\"valid\": false"))
        #expect(result.stdout.contains("\"message\": \"missing required field 'apiVersion' (expected 'ballast.dev/v1')\""))
    }

    @Test func planPrintsTheGoldenPlanAndExitsZero() async throws {
        let session = Session()
        defer { session.state.remove() }
        let result = try await session.run(["plan", "manifests/examples/hybrid"])
        #expect(result.exitCode == 0, "\(result.stderr)")
        let expected = String(decoding: FileManager.default.contents(atPath: root + "/Tests/BallastEngineTests/Golden/hybrid-empty.txt")!, as: UTF8.self)
        #expect(result.stdout == expected)
        #expect(!result.stdout.contains("\u{1B}["), "no colour without a terminal")
    }

    /// `ballast cost` prices the example by its price books, per currency, as the golden
    /// table says; JSON keeps the currencies apart; a bad grouping is a usage error.
    @Test func costGroupsTheEstateByLabel() async throws {
        let session = Session()
        defer { session.state.remove() }
        let text = try await session.run(["cost", "manifests/examples/hybrid", "--by", "label:team"])
        #expect(text.exitCode == 0, "\(text.stderr)")
        let mismatch = Golden.mismatch(text.stdout, file: root + "/Tests/BallastCLITests/Golden/cost-hybrid-by-team.txt")
        #expect(mismatch == nil, "\(mismatch ?? "")")
        let json = try await session.run(["cost", "manifests/examples/hybrid", "--by", "site", "-o", "json"])
        #expect(json.exitCode == 0, "\(json.stderr)")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let totals = try #require(root["totals"] as? [[String: Any]])
        #expect(totals.map { $0["currency"] as? String } == ["EUR", "USD"])
        #expect(totals.map { $0["monthly"] as? Double } == [356.15, 381.75])
        #expect((root["unpriced"] as? [Any])?.isEmpty == true)
        #expect(try await session.run(["cost", "manifests/examples/hybrid", "--by", "colour"]).exitCode == 64)
        #expect(try await session.run(["cost", "manifests/examples/invalid"]).exitCode == 1)
    }

    @Test func detailedExitCodes() async throws {
        let session = Session()
        defer { session.state.remove() }
        #expect(try await session.run(["plan", "-", "--detailed-exitcode"], stdin: sitesOnly).exitCode == 0)
        #expect(try await session.run(["plan", "-", "--detailed-exitcode"], stdin: oneBucket).exitCode == 2)
        #expect(try await session.run(["plan", "-", "--detailed-exitcode"], stdin: "kind: Nope\n").exitCode == 1)
        #expect(try await session.run(["plan", "-"], stdin: oneBucket).exitCode == 0)
    }

    @Test func planAsJSONAndSavedPlan() async throws {
        let session = Session()
        defer { session.state.remove() }
        let planFile = session.state.file("plan.json")
        let result = try await session.run(["plan", "manifests/examples/hybrid", "-o", "json", "--out", planFile])
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("{\n  \"actions\": ["))
        #expect(result.stdout.contains("\"formatVersion\": 3"))
        #expect(!result.stdout.contains("s3cr3t"), "secrets never appear in plans")
        // The saved plan is the same JSON, sealed with the state's key.
        let saved = String(decoding: FileManager.default.contents(atPath: planFile) ?? Data(), as: UTF8.self)
        let sealLine = try #require(saved.split(separator: "\n").first { $0.hasPrefix("  \"mac\": \"") })
        #expect(saved.replacingOccurrences(of: sealLine + "\n", with: "") == result.stdout)
        #expect(!result.stdout.contains("\"mac\""))
    }

    @Test func graphAsDot() async throws {
        let session = Session()
        defer { session.state.remove() }
        let result = try await session.run(["graph", "manifests/examples/hybrid", "-o", "dot"])
        #expect(result.exitCode == 0)
        #expect(result.stdout.hasPrefix("digraph ballast {"))
        #expect(result.stdout.contains("\"Subnet/core-private@eu-central\" -> \"Network/core@eu-central\";"))
    }

    /// A site that cannot be observed is not applied, and apply says so with exit code 1 (a
    /// pipeline must not take the run as converged); the other sites are applied.
    @Test func applyFailsWhileASiteCannotBeObserved() async throws {
        let session = Session()
        defer { session.state.remove() }
        #expect(try await session.run(["sim", "outage", "us-east", "on", "--manifests", "manifests/examples/hybrid"]).exitCode == 0)
        let partial = try await session.run(["apply", "manifests/examples/hybrid", "--auto-approve"])
        #expect(partial.exitCode == 1)
        #expect(partial.stderr.contains("on sites that could not be observed (us-east) were not applied; apply again when they are back"), "\(partial.stderr)")
        let world = try await session.run(["sim", "ls"]).stdout
        #expect(world.contains("@eu-central") && !world.contains("@us-east"))
        // Nothing left to change elsewhere: still a failure while the site is out.
        #expect(try await session.run(["apply", "manifests/examples/hybrid", "--auto-approve"]).exitCode == 1)
        #expect(try await session.run(["sim", "outage", "us-east", "off"]).exitCode == 0)
        let healed = try await session.run(["apply", "manifests/examples/hybrid", "--auto-approve"])
        #expect(healed.exitCode == 0, "\(healed.stderr)")
        #expect(try await session.run(["sim", "ls"]).stdout.contains("@us-east"))
    }

    @Test func simCommandsActOnTheWorldThatPlanSees() async throws {
        let session = Session()
        defer { session.state.remove() }
        #expect(try await session.run(["sim", "ls"]).stdout == "The sim world is empty.\n")
        let outage = try await session.run(["sim", "outage", "lab", "on", "--manifests", "-"], stdin: oneBucket)
        #expect(outage.exitCode == 0)
        let plan = try await session.run(["plan", "-"], stdin: oneBucket)
        #expect(plan.exitCode == 0)
        #expect(plan.stderr.contains("warning: site 'lab' could not be observed (site lab is in outage)"))
        #expect(plan.stdout.contains("? Bucket/photos@lab  (site lab is in outage)"))
        _ = try await session.run(["sim", "outage", "lab", "off"])
        let missing = try await session.run(["sim", "drift", "Bucket/photos@lab", "versioning=false"])
        #expect(missing.exitCode == 1)
        #expect(missing.stderr.contains("Bucket/photos@lab does not exist in the sim world"))
        let badID = try await session.run(["sim", "delete", "photos"])
        #expect(badID.exitCode != 0)
        #expect(badID.stderr.contains("is not a resource id"))
    }

    @Test func hostileNamesAreRejectedNotExecuted() async throws {
        let session = Session()
        defer { session.state.remove() }
        let marker = session.state.file("pwned")
        let yaml = sitesOnly + """
        ---
        apiVersion: ballast.dev/v1
        kind: Bucket
        metadata: { name: "$(touch \(marker)); rm -rf /", site: lab }

        """
        let result = try await session.run(["plan", "-"], stdin: yaml)
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("invalid name"))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    /// A manifest given as the shell's `<(…)` (a pipe) is read whole. Read by its size (0), it
    /// was empty, and its resources on sites declared in another file were planned for deletion.
    @Test(.timeLimit(.minutes(2))) func aProcessSubstitutionIsReadWhole() async throws {
        try await withManifestDirectory { session, manifests in
            manifests.write("sites.yaml", sitesOnly)
            manifests.write("bucket.yaml", String(oneBucket.dropFirst(sitesOnly.count)))
            let (sites, bucket) = (manifests.file("sites.yaml"), manifests.file("bucket.yaml"))
            #expect(try await session.run(["apply", sites, bucket, "--auto-approve"]).exitCode == 0)
            let result = try await session.runner.run(
                [sites, bucket, session.state.path], launcher: ["/bin/bash", "-c", #"exec "$0" plan "$1" <(cat "$2") --state "$3" --detailed-exitcode"#])
            #expect(result.exitCode == 0, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("No changes"), "\(result.stdout)")
            // watch reads its manifests again on every change: a pipe would then read empty,
            // and its resources as removed. Refused before anything starts.
            let watch = try await session.runner.run(
                [sites, bucket, session.state.path], launcher: ["/bin/bash", "-c", #"exec "$0" watch "$1" <(cat "$2") --state "$3" --listen 127.0.0.1:0"#])
            #expect(watch.exitCode != 0)
            #expect(watch.stderr.contains("is a pipe or a device, which can be read only once: write its manifests to a file"), "\(watch.stderr)")
        }
    }

    /// A named pipe, a device or a link to nothing among a directory's manifests is an error
    /// that stops the run: waiting for a writer hung it, and leaving it out reads its resources
    /// as removed.
    @Test(.timeLimit(.minutes(2))) func whatIsNotARegularFileInAManifestDirectoryIsAnError() async throws {
        try await withManifestDirectory { session, manifests in
            manifests.write("estate.yaml", oneBucket)
            #expect(mkfifo(manifests.file("pipe.yaml"), 0o600) == 0)
            #expect(symlink("/dev/zero", manifests.file("zero.yaml")) == 0)
            #expect(symlink(manifests.file("gone.yaml"), manifests.file("dangling.yml")) == 0)
            // Emacs's lock link beside a file being edited is not a manifest, and not an error.
            #expect(symlink("root@host.4242:1701", manifests.file(".#estate.yaml")) == 0)
            // A manifest whose name is not UTF-8 cannot be opened by a name made of text: reported.
            // Another file is not a manifest, whatever its name.
            for (stem, suffix) in [("bad", ".yaml"), ("photo", ".jpg")] {
                let name = Array((manifests.path + "/" + stem).utf8) + [0xFF] + Array(suffix.utf8) + [0]
                let created = name.withUnsafeBufferPointer { bytes in
                    bytes.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY | O_CLOEXEC, 0o644) }
                }
                #expect(created >= 0)
                close(created)
            }
            let result = try await session.run(["plan", manifests.path])
            #expect(result.exitCode == 1)
            #expect(result.stderr == """
                ballast: error: \(manifests.path)/bad\u{FFFD}.yaml: the name is not UTF-8 text, so it cannot be read; rename it
                ballast: error: \(manifests.file("dangling.yml")): cannot be read: it is a symbolic link to something that does not exist
                ballast: error: \(manifests.file("pipe.yaml")): cannot be read: not a regular file (a named pipe); only regular files are read here
                ballast: error: \(manifests.file("zero.yaml")): cannot be read: not a regular file (a character device); only regular files are read here
                4 errors

                """)
            #expect(result.stdout.isEmpty)
        }
    }

    @Test func missingPathIsAClearError() async throws {
        let session = Session()
        defer { session.state.remove() }
        let result = try await session.run(["validate", "no/such/dir"])
        #expect(result.exitCode == 1)
        #expect(result.stderr == "ballast: error: no/such/dir: no such file or directory\n1 error\n")
    }

    @Test func jsonLogsAreOneRedactedObjectPerLine() async throws {
        let session = Session()
        defer { session.state.remove() }
        let secret = sitesOnly + """
            ---
            apiVersion: ballast.dev/v1
            kind: Database
            metadata: { name: orders, site: lab }
            spec: { engine: postgres, sizeGb: 10, password: "${env:ORDERS_PASSWORD}" }

            """
        let result = try await session.run(
            ["apply", "-", "--auto-approve", "-v", "--log-format", "json"], stdin: secret, environment: ["ORDERS_PASSWORD": "hunter2-very-secret"])
        #expect(result.exitCode == 0, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(lines.count >= 3, "\(result.stderr)")
        for line in lines {
            guard case .map(let fields)? = try? JSONValueParser.parse(String(line)) else {
                Issue.record("not a JSON object: \(line)")
                continue
            }
            #expect(fields["time"]?.stringValue != nil && fields["level"]?.stringValue != nil && fields["message"]?.stringValue != nil, "\(line)")
        }
        #expect(!result.stderr.contains("hunter2-very-secret"))
        // The same from the environment; an unknown format is a usage error.
        let fromEnvironment = try await session.run(["validate", "-", "-v"], stdin: sitesOnly, environment: ["BALLAST_LOG_FORMAT": "json"])
        #expect(fromEnvironment.stderr.split(separator: "\n").contains { $0.hasPrefix("{\"") }, "\(fromEnvironment.stderr)")
        let unknown = try await session.run(["validate", "-"], stdin: sitesOnly, environment: ["BALLAST_LOG_FORMAT": "yaml"])
        #expect(unknown.exitCode == 64 && unknown.stderr.contains("BALLAST_LOG_FORMAT takes text or json"))
    }

    @Test func helpIsStable() async throws {
        let runner = CLIRunner(workingDirectory: root)
        let result = try await runner.run(["--help"])
        let mismatch = Golden.mismatch(result.stdout, file: root + "/Tests/BallastCLITests/Golden/help.txt")
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }
}

@Suite("Generated docs")
struct GeneratedDocsTests {
    @Test func providersDocMatchesTheSchemas() async throws {
        let runner = CLIRunner(workingDirectory: root)
        let result = try await runner.run(["providers", "--markdown"])
        #expect(result.exitCode == 0)
        let mismatch = Golden.mismatch(result.stdout, file: root + "/docs/providers.md")
        #expect(mismatch == nil, "docs/providers.md is stale: \(mismatch ?? "")")
    }
}

@Suite("Hostile input")
struct HostileInputTests {
    private let site = "apiVersion: ballast.dev/v1\nkind: Site\nmetadata: {name: s}\nspec: {class: cloud, provider: sim}\n---\n"

    @Test func escapeSequencesNeverReachTheTerminal() async throws {
        let state = TemporaryDirectory()
        defer { state.remove() }
        let runner = CLIRunner(workingDirectory: root)
        let yaml = site + "apiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: {name: b, site: s}\nspec: {tags: {\"\\u001b[31mred\": \"\\u001b[0m\"}, \"\\u001b]0;pwned\\u0007\": 1}\n"
        let bad = try await runner.run(["plan", "-", "--state", state.path], stdin: yaml)
        #expect(bad.exitCode == 1)
        #expect(!bad.stderr.contains("\u{1B}"), "diagnostics escape control characters")
        #expect(bad.stderr.contains("unknown field '\\u{1B}]0;pwned\\u{7}'"))
        let good = try await runner.run(["plan", "-", "--state", state.path], stdin: yaml.replacingOccurrences(of: ", \"\\u001b]0;pwned\\u0007\": 1", with: ""))
        #expect(good.exitCode == 0)
        #expect(!good.stdout.contains("\u{1B}"), "plan output escapes control characters")
        #expect(good.stdout.contains("tags.\\u{1B}[31mred: \"\\u001b[0m\""))
    }

    @Test func labelsFollowTheKubernetesRules() async throws {
        let state = TemporaryDirectory()
        defer { state.remove() }
        let yaml = site + "apiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: {name: b, site: s, labels: {\"a;b\": x, \"example.com/ok\": \"fine\", tier: \"$(x)\"}}\n"
        let result = try await CLIRunner(workingDirectory: root).run(["validate", "-", "--state", state.path], stdin: yaml)
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("invalid label key 'a;b'"))
        #expect(result.stderr.contains("invalid value '$(x)' for label 'tier'"))
        #expect(!result.stderr.contains("example.com/ok"))
    }

    @Test func garbageAndEmptyInputsAreHandled() async throws {
        let state = TemporaryDirectory()
        defer { state.remove() }
        let runner = CLIRunner(workingDirectory: root)
        var random = SeededGenerator(seed: 99)
        let garbage = String(decoding: (0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) }, as: UTF8.self)
        let result = try await runner.run(["validate", "-", "--state", state.path], stdin: garbage)
        #expect(result.exitCode == 1)
        #expect(result.stderr.hasSuffix("error\n") || result.stderr.hasSuffix("errors\n"))
        let empty = try await runner.run(["plan", "-", "--detailed-exitcode", "--state", state.path], stdin: "")
        #expect(empty.exitCode == 0)
        #expect(empty.stderr.contains("warning: the input holds no manifests"))
    }

    @Test func aCorruptStateIsAClearError() async throws {
        let state = TemporaryDirectory()
        defer { state.remove() }
        state.write("state.db", String(repeating: "not a database ", count: 400))
        let result = try await CLIRunner(workingDirectory: root).run(["apply", "manifests/examples/hybrid", "--auto-approve", "--state", state.path])
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("state \(state.path)/state.db cannot be used"))
    }

    @Test func forgetStopsManagingWithoutDeleting() async throws {
        let state = TemporaryDirectory()
        defer { state.remove() }
        let runner = CLIRunner(workingDirectory: root)
        let yaml = site + "apiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: {name: b, site: s}\n"
        #expect(try await runner.run(["apply", "-", "--auto-approve", "--state", state.path], stdin: yaml).exitCode == 0)
        let forgot = try await runner.run(["forget", "Bucket/b@s", "--state", state.path])
        #expect(forgot.stdout == "forgot Bucket/b@s (left as it is)\n")
        #expect(try await runner.run(["get", "--state", state.path]).stdout == "Ballast manages no resources in this state.\n")
        #expect(try await runner.run(["sim", "ls", "--state", state.path]).stdout.hasPrefix("Bucket/b@s"))
        #expect(try await runner.run(["forget", "Bucket/b@s", "--state", state.path]).exitCode == 1)
    }
}

@Suite("JSON manifests")
struct JSONManifestTests {
    @Test func aManifestWrittenAsJSONIsAppliedNotMistakenForAPlan() async throws {
        let state = TemporaryDirectory()
        defer { state.remove() }
        state.write("estate.json", #"{"apiVersion": "ballast.dev/v1", "kind": "Site", "metadata": {"name": "s"}, "spec": {"class": "cloud", "provider": "sim"}}"# + "\n")
        let runner = CLIRunner(workingDirectory: root)
        let applied = try await runner.run(["apply", state.file("estate.json"), "--auto-approve", "--state", state.path])
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        state.write("bad-plan.json", #"{"formatVersion": 99, "actions": []}"# + "\n")
        let refused = try await runner.run(["apply", state.file("bad-plan.json"), "--state", state.path])
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains("plan format version 99 is not supported"))
    }
}
