import BallastCore
import BallastTesting
import Crypto
import Foundation
import Testing

private let root = Repository.root(from: #filePath)

private let site = """
    apiVersion: ballast.dev/v1
    kind: Site
    metadata: { name: lab }
    spec: { class: cloud, provider: sim, config: { latencyMs: 0 } }

    """

private func bucket(_ name: String) -> String {
    """
    apiVersion: ballast.dev/v1
    kind: Bucket
    metadata: { name: \(name), site: lab }
    spec: { versioning: true }

    """
}

/// `ballast watch --git` and the one-off commands on real repositories (a bare repository
/// cloned over file://), run as the real CLI.
@Suite("Git source", .enabled(if: GitRepositoryFixture.isAvailable, "git is not installed"))
struct GitSourceTests {
    let directory = TemporaryDirectory(prefix: "ballast-git-cli")
    let runner = CLIRunner(workingDirectory: root)
    var state: String { directory.file("state") }

    @discardableResult
    func cli(_ arguments: [String]) async throws -> CLIRunner.Result {
        try await runner.run(arguments + ["--state", state])
    }

    func world() async throws -> String {
        try await cli(["sim", "ls"]).stdout
    }

    func manifests(_ watch: WatchProcess) async throws -> Fields {
        guard case .map(let fields)? = try await watch.get("/v1/manifests").json else { return Fields() }
        return fields
    }

    /// `/v1/manifests`' `source` object: the fetch's state.
    func source(_ watch: WatchProcess) async throws -> Fields {
        guard case .map(let source)? = try await manifests(watch)["source"] else { return Fields() }
        return source
    }

    func commit(_ value: Value?) -> String? {
        guard case .map(let revision)? = value else { return nil }
        return revision["commit"]?.stringValue
    }

    @Test func followsCommitsHoldsABadOneResumesOnAFixAndRecordsTheCommitInTheJournal() async throws {
        try #require(runner.isAvailable, "build the CLI first: swift build")
        let repository = try GitRepositoryFixture()
        defer { repository.remove(); directory.remove() }
        let first = try repository.commit(["estates/prod/site.yaml": site, "estates/prod/a.yaml": bucket("a"), "other/ignored.yaml": "not: [yaml"], message: "first")
        let watch = try await WatchProcess(
            cli: runner, arguments: ["--git", repository.url, "--path", "estates/prod", "--interval", "1s", "--prune-delay", "1s", "--state", state],
            directory: directory.path)
        defer { watch.process.send(SIGKILL) }
        #expect(watch.standardOutput.contains("commit \(first.prefix(12)) \"first\" in force"), "\(watch.standardOutput)")
        #expect(try await world().contains("Bucket/a@lab"))

        // A commit is followed, and every journal entry it causes names it.
        let second = try repository.commit(["estates/prod/b.yaml": bucket("b")], message: "add b")
        #expect(try await WatchProcess.eventually { try await world().contains("Bucket/b@lab") })
        #expect(commit(try await manifests(watch)["revision"]) == second)
        let events = try await cli(["events", "-o", "json"]).stdout
        #expect(events.contains("\"revision\": \"\(second)\""), "\(events)")
        #expect(try await cli(["events"]).stdout.contains("(commit \(second.prefix(12)))"))
        guard case .map(let sites)? = try await watch.get("/v1/sites").json, case .list(let list)? = sites["sites"], case .map(let lab)? = list.first else {
            Issue.record("no sites")
            return
        }
        #expect(lab["revision"]?.stringValue == second)
        #expect(try await watch.get("/metrics").body.contains("ballast_source_info{revision=\"\(second)\"} 1"))

        // A commit that does not validate is held; what is in force stays, nothing is removed.
        let bad = try repository.commit(["estates/prod/b.yaml": "apiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: { name: b, site: lab }\nspec: { versioning: maybe }\n"], message: "break b")
        #expect(try await WatchProcess.eventually { commit(try await manifests(watch)["heldRevision"]) == bad })
        let held = try await manifests(watch)
        #expect(held["valid"] == .bool(false))
        #expect(commit(held["revision"]) == second)
        let diagnostics = "\(held["diagnostics"] ?? .null)"
        #expect(diagnostics.contains("estates/prod/b.yaml:4:"), "\(diagnostics)")
        #expect(watch.standardError.contains("the manifests of commit \(bad.prefix(12)) do not validate; it is held and commit \(second.prefix(12)) stays in force"))
        try await Task.sleep(for: .seconds(2))
        #expect(try await world().contains("Bucket/b@lab"))

        // So is a commit reading what the daemon's machine holds: nothing is read or applied.
        let leak = try repository.commit(["estates/prod/b.yaml": "apiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: { name: b, site: lab }\nspec: { tags: { home: \"${env:HOME}\" } }\n"], message: "leak")
        #expect(try await WatchProcess.eventually { commit(try await manifests(watch)["heldRevision"]) == leak })
        let leaking = "\(try await manifests(watch)["diagnostics"] ?? .null)"
        #expect(leaking.contains("estates/prod/b.yaml:4:") && leaking.contains("refused: manifests from a git source may read only the environment variables --secret-env allows"), "\(leaking)")
        #expect(!(try await world().contains("home")), "nothing applied")

        // A fix resumes: b goes (after the prune delay), the fix is in force.
        let fix = try repository.commit(["estates/prod/b.yaml": nil], message: "drop b")
        #expect(try await WatchProcess.eventually { !(try await world().contains("Bucket/b@lab")) })
        let fixed = try await manifests(watch)
        #expect(fixed["valid"] == .bool(true) && commit(fixed["revision"]) == fix && fixed["heldRevision"] == nil)
        #expect(try await world().contains("Bucket/a@lab"))
        #expect(await watch.terminate() == 0)
    }

    @Test func onReplicasAWebhookToOneReplicaMakesEveryReplicaFetch() async throws {
        try #require(runner.isAvailable, "build the CLI first: swift build")
        let server = try await postgres.value
        let database = try await offPool { try server.createDatabase() }
        let repository = try GitRepositoryFixture()
        defer { repository.remove(); directory.remove() }
        try repository.commit(["site.yaml": site, "a.yaml": bucket("a")], message: "first")
        directory.write("hook.secret", "s3cret-hook\n")
        // An hour between fetches: only the webhook, and its hint to the other replica, bring a
        // commit in time.
        func start(_ id: String) async throws -> WatchProcess {
            let logs = directory.file(id)
            try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
            return try await WatchProcess(cli: runner, arguments: [
                "--git", repository.url, "--interval", "1h", "--git-webhook-secret-file", directory.file("hook.secret"),
                "--state", database, "--data-dir", directory.file("data-\(id)"), "--replica-id", id, "--replica-ttl", "3s", "--replica-interval", "1s",
            ], directory: logs)
        }
        var replicas = [try await start("r1"), try await start("r2")]
        defer { for replica in replicas { replica.process.send(SIGKILL) } }
        func hook(_ replica: WatchProcess) async throws -> Int {
            let body = #"{"ref": "refs/heads/main"}"#
            let mac = SpecDigest.hex(HMAC<SHA256>.authenticationCode(for: Array(body.utf8), using: SymmetricKey(data: Array("s3cret-hook".utf8))))
            return try await replica.post("/v1/hooks/git", body: body, headers: ["X-Hub-Signature-256": "sha256=" + mac, "X-GitHub-Event": "push"], authorized: false).status
        }
        func inForce(_ replica: WatchProcess) async throws -> Value? {
            guard case .map(let revision)? = try await manifests(replica)["revision"] else { return nil }
            return revision["commit"]
        }
        let added = try repository.commit(["b.yaml": bucket("b")], message: "add b")
        #expect(try await hook(replicas[0]) == 202)
        for replica in replicas {
            #expect(try await WatchProcess.eventually(timeout: .seconds(20)) { try await inForce(replica) == .string(added) }, "\(replica.baseURL) put the pushed commit in force")
        }

        // Suspended through one replica: every replica holds the next commit, and a replica
        // restarted meanwhile stays suspended, on the commit in force.
        #expect(try await replicas[0].post("/v1/suspend", body: "").status == 200)
        #expect(try await WatchProcess.eventually(timeout: .seconds(10)) { try await manifests(replicas[1])["suspended"] == .bool(true) }, "r2 follows r1's suspension")
        let held = try repository.commit(["c.yaml": bucket("c")], message: "add c")
        #expect(try await hook(replicas[1]) == 202)
        #expect(await replicas[1].terminate() == 0)
        replicas[1] = try await start("r2")
        let restarted = try await manifests(replicas[1])
        #expect(restarted["suspended"] == .bool(true) && restarted["suspendedBy"] == .string("r1"), "\(restarted)")
        try await Task.sleep(for: .seconds(2))
        for replica in replicas { #expect(try await inForce(replica) == .string(added), "\(replica.baseURL) held the commit while suspended") }

        // Resumed through the other replica: both sync again.
        #expect(try await replicas[1].post("/v1/resume", body: "").status == 200)
        for replica in replicas {
            #expect(try await WatchProcess.eventually(timeout: .seconds(20)) { try await inForce(replica) == .string(held) }, "\(replica.baseURL) resumed")
        }
        for replica in replicas { #expect(await replica.terminate() == 0) }
    }

    @Test func aSignedWebhookFetchesAtOnceSuspendHoldsChangesAndAForcePushIsFollowed() async throws {
        try #require(runner.isAvailable, "build the CLI first: swift build")
        let repository = try GitRepositoryFixture()
        defer { repository.remove(); directory.remove() }
        let first = try repository.commit(["site.yaml": site, "a.yaml": bucket("a")], message: "first")
        directory.write("hook.secret", "s3cret-hook\n")
        // An hour between fetches: only the webhook brings a commit in time.
        let arguments = ["--git", repository.url, "--interval", "1h", "--git-webhook-secret-file", directory.file("hook.secret"), "--prune-delay", "1s", "--state", state]
        var watch = try await WatchProcess(cli: runner, arguments: arguments, directory: directory.path)
        defer { watch.process.send(SIGKILL) }
        func hook(secret: String) async throws -> Int {
            let body = #"{"ref": "refs/heads/main"}"#
            let mac = SpecDigest.hex(HMAC<SHA256>.authenticationCode(for: Array(body.utf8), using: SymmetricKey(data: Array(secret.utf8))))
            return try await watch.post("/v1/hooks/git", body: body, headers: ["X-Hub-Signature-256": "sha256=" + mac, "X-GitHub-Event": "push"], authorized: false).status
        }

        try repository.commit(["b.yaml": bucket("b")], message: "add b")
        #expect(try await hook(secret: "wrong") == 401)
        try await Task.sleep(for: .seconds(2))
        #expect(!(try await world().contains("Bucket/b@lab")), "a refused webhook fetches nothing")
        #expect(try await hook(secret: "s3cret-hook") == 202)
        #expect(try await WatchProcess.eventually(timeout: .seconds(10)) { try await world().contains("Bucket/b@lab") })

        // Suspended: a pushed commit waits; healing goes on.
        let suspended = try await runner.run(["suspend", "--server", watch.baseURL], environment: ["BALLAST_TOKEN": watch.token])
        #expect(suspended.exitCode == 0 && suspended.stdout.contains("syncing suspended"), "\(suspended.stderr)")
        try repository.commit(["c.yaml": bucket("c")], message: "add c")
        #expect(try await hook(secret: "s3cret-hook") == 202)
        try await cli(["sim", "delete", "Bucket/a@lab"])
        #expect(try await WatchProcess.eventually { try await world().contains("Bucket/a@lab") }, "healing goes on while suspended")
        #expect(!(try await world().contains("Bucket/c@lab")))
        // A restart keeps the suspension: the daemon starts from the commit in force, and the
        // pushed one still waits.
        #expect(await watch.terminate() == 0)
        watch = try await WatchProcess(cli: runner, arguments: arguments, directory: directory.path)
        try await Task.sleep(for: .seconds(1))
        #expect(!(try await world().contains("Bucket/c@lab")), "a restart does not resume syncing")
        let status = try await runner.run(["status", "--server", watch.baseURL])
        #expect(status.stdout.contains("Syncing: suspended since "), "\(status.stdout)")
        #expect(status.stdout.contains("Source: \(repository.url) main, commit"), "\(status.stdout)")
        #expect(try await runner.run(["resume", "--server", watch.baseURL], environment: ["BALLAST_TOKEN": watch.token]).exitCode == 0)
        #expect(try await WatchProcess.eventually { try await world().contains("Bucket/c@lab") })

        // A force-push back to the first commit plus a new one: followed, and reported.
        try repository.reset(to: first)
        let rewritten = try repository.commit(["d.yaml": bucket("d")], message: "rewrite", push: false)
        try repository.push(force: true)
        #expect(try await hook(secret: "s3cret-hook") == 202)
        #expect(try await WatchProcess.eventually { commit(try await manifests(watch)["revision"]) == rewritten })
        let source = try await source(watch)
        #expect(source["notice"]?.stringValue?.contains("history rewritten") == true, "\(source)")
        #expect(try await WatchProcess.eventually { let world = try await world(); return world.contains("Bucket/d@lab") && !world.contains("Bucket/b@lab") })
        #expect(await watch.terminate() == 0)
    }

    @Test func anUnreachableRepositoryOrADeletedBranchPrunesNothingAndARestartStartsFromTheLastCommitInForce() async throws {
        try #require(runner.isAvailable, "build the CLI first: swift build")
        let repository = try GitRepositoryFixture()
        defer { repository.remove(); directory.remove() }
        let first = try repository.commit(["site.yaml": site, "a.yaml": bucket("a"), "b.yaml": bucket("b")], message: "first")
        let arguments = ["--git", repository.url, "--interval", "1s", "--prune-delay", "1s", "--state", state]
        var watch = try await WatchProcess(cli: runner, arguments: arguments, directory: directory.path)
        defer { watch.process.send(SIGKILL) }

        try repository.setReachable(false)
        #expect(try await WatchProcess.eventually { try await source(watch)["error"]?.stringValue?.contains("cannot fetch main") == true })
        try await Task.sleep(for: .seconds(2))
        #expect(try await world().contains("Bucket/b@lab"))
        #expect(watch.standardError.contains("commit \(first.prefix(12)) stays in force and nothing is pruned because of this"), "\(watch.standardError)")

        // Restarted while it cannot be reached: it starts from the commit last in force.
        #expect(await watch.terminate() == 0)
        watch = try await WatchProcess(cli: runner, arguments: arguments, directory: directory.path)
        #expect(watch.standardOutput.contains("commit \(first.prefix(12)) \"first\" in force"), "\(watch.standardOutput)")

        // Back: it recovers; then the branch is deleted, and nothing is pruned for it.
        try repository.setReachable(true)
        #expect(try await WatchProcess.eventually { try await source(watch)["error"] == .null })
        try repository.deleteBranch()
        #expect(try await WatchProcess.eventually { try await source(watch)["error"]?.stringValue?.contains("has no branch or tag 'main'") == true })
        try await Task.sleep(for: .seconds(2))
        let world = try await world()
        #expect(world.contains("Bucket/a@lab") && world.contains("Bucket/b@lab"))
        #expect(await watch.terminate() == 0)
    }

    @Test func aCommitThatRemovesMoreThanTheDeletionBudgetAllowsIsHeldUntilApproved() async throws {
        try #require(runner.isAvailable, "build the CLI first: swift build")
        let repository = try GitRepositoryFixture()
        defer { repository.remove(); directory.remove() }
        let buckets = (0..<12).map { "b\($0)" }
        var files: [String: String?] = ["site.yaml": site]
        for name in buckets { files["\(name).yaml"] = bucket(name) }
        try repository.commit(files, message: "twelve buckets")
        let watch = try await WatchProcess(
            cli: runner, arguments: ["--git", repository.url, "--interval", "1s", "--prune-delay", "1s", "--state", state], directory: directory.path)
        defer { watch.process.send(SIGKILL) }
        #expect(try await world().contains("Bucket/b11@lab"))

        // Eleven of twelve go in one commit: over max(10, 20%), so the removal is held whole.
        var removal: [String: String?] = [:]
        for name in buckets.dropFirst() { removal["\(name).yaml"] = .some(nil) }
        let removing = try repository.commit(removal, message: "remove eleven")
        #expect(try await WatchProcess.eventually { commit(try await manifests(watch)["revision"]) == removing })
        var digest: String?
        #expect(try await WatchProcess.eventually {
            guard case .map(let held)? = try await manifests(watch)["heldDeletions"] else { return false }
            digest = held["digest"]?.stringValue
            return digest != nil
        })
        try await Task.sleep(for: .seconds(2))
        #expect(try await world().contains("Bucket/b11@lab"), "nothing is deleted while held")
        let approved = try await watch.post("/v1/reconcile", body: #"{"approveDeletions": "\#(digest ?? "")"}"#)
        #expect(approved.status == 202, "\(approved.body)")
        #expect(try await WatchProcess.eventually { !(try await world().contains("Bucket/b11@lab")) })
        #expect(try await world().contains("Bucket/b0@lab"))
        #expect(await watch.terminate() == 0)
    }

    @Test func overHTTPCredentialsWorkAndAreNeverShown() async throws {
        try #require(runner.isAvailable, "build the CLI first: swift build")
        let repository = try GitRepositoryFixture()
        defer { repository.remove(); directory.remove() }
        let first = try repository.commit(["site.yaml": site, "a.yaml": bucket("a")], message: "first")
        let server = try await GitHTTPServer(root: repository.directory.path, credentials: "deploy:s3cret-pass")
        defer { server.stop() }
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)

        let good = try await cli(["plan", "--git", server.url("remote.git", userInfo: "deploy:s3cret-pass"), "-v"])
        #expect(good.exitCode == 0, "\(good.stderr)")
        #expect(good.stderr.contains("reading commit \(first.prefix(12))"), "\(good.stderr)")
        #expect(good.stdout.contains("Bucket/a@lab"))
        #expect(!good.stderr.contains("s3cret-pass") && !good.stdout.contains("s3cret-pass"), "\(good.stderr)")

        let wrong = try await cli(["plan", "--git", server.url("remote.git", userInfo: "deploy:wr0ng-pass"), "-v"])
        #expect(wrong.exitCode == 1)
        #expect(wrong.stderr.contains("refused the credentials"), "\(wrong.stderr)")
        #expect(!wrong.stderr.contains("wr0ng-pass"), "\(wrong.stderr)")
        #expect(!wrong.stderr.contains("retrying later may help"), "a refused credential is not retryable: \(wrong.stderr)")
        let none = try await cli(["plan", "--git", server.url("remote.git")])
        #expect(none.exitCode == 1 && none.stderr.contains("refused the credentials"), "never a prompt: \(none.stderr)")

        let watch = try await WatchProcess(
            cli: runner, arguments: ["--git", server.url("remote.git", userInfo: "deploy:s3cret-pass"), "--interval", "1s", "--state", state],
            directory: directory.path)
        defer { watch.process.send(SIGKILL) }
        #expect(try await source(watch)["location"]?.stringValue == "http://***@127.0.0.1:\(server.port)/remote.git")
        let status = try await runner.run(["status", "--server", watch.baseURL])
        #expect(!status.stdout.contains("s3cret-pass") && status.stdout.contains("***@127.0.0.1"), "\(status.stdout)")
        #expect(await watch.terminate() == 0)
        #expect(!watch.standardError.contains("s3cret-pass") && !watch.standardOutput.contains("s3cret-pass"))
    }

    /// A pusher's `${file:…}`, `${env:…}` or `source` cannot copy what the machine running
    /// Ballast holds into a resource: only the repository, the --secret-dir directories and
    /// the --secret-env variables are read.
    @Test func aCommitReadsOnlyTheRepositoryAndWhatTheOperatorAllows() async throws {
        try #require(runner.isAvailable, "build the CLI first: swift build")
        let repository = try GitRepositoryFixture()
        defer { repository.remove(); directory.remove() }
        directory.write("secrets/db-password", "s3cr3t\n")
        directory.write("host-root/.keep", "")
        let sites = site + "---\napiVersion: ballast.dev/v1\nkind: Site\nmetadata: { name: box }\nspec: { class: datacenter, provider: host, config: { root: \"\(directory.file("host-root"))\", transport: local } }\n"
        func tagged(_ value: String) -> String {
            "apiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: { name: leak, site: lab }\nspec: { tags: { value: \"\(value)\" } }\n"
        }
        func file(_ source: String) -> String {
            "apiVersion: ballast.dev/v1\nkind: File\nmetadata: { name: motd, site: box }\nspec: { path: etc/motd, source: \"\(source)\" }\n"
        }
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try repository.commit(["estate/sites.yaml": sites, "estate/leak.yaml": tagged("${file:/etc/hostname}"), "estate/motd.txt": "hello\n", "estate/motd.yaml": file("../../../../../../etc/hostname")], message: "leak a file")
        let plan = try await cli(["plan", "--git", repository.url])
        #expect(plan.exitCode == 1)
        #expect(plan.stderr.contains("File/motd@box spec.source: '../../../../../../etc/hostname' is not read: manifests from a git source may read files only in the repository and the directories --secret-dir allows"), "\(plan.stderr)")
        // The secret is checked once the manifests load: the source field first.
        try repository.commit(["estate/motd.yaml": file("motd.txt")], message: "a file in the repository")
        let secret = try await cli(["plan", "--git", repository.url])
        #expect(secret.exitCode == 1)
        #expect(secret.stderr.contains("${file:/etc/hostname} in Bucket/leak spec.tags.value: refused: manifests from a git source may read files only in the repository"), "\(secret.stderr)")
        try repository.commit(["estate/leak.yaml": tagged("${env:HOME}")], message: "leak a variable")
        let variable = try await cli(["plan", "--git", repository.url])
        #expect(variable.exitCode == 1)
        #expect(variable.stderr.contains("${env:HOME} in Bucket/leak spec.tags.value: refused: manifests from a git source may read only the environment variables --secret-env allows (none is allowed)"), "\(variable.stderr)")
        // What the operator allows is read.
        try repository.commit(["estate/leak.yaml": tagged("${file:\(directory.file("secrets/db-password"))}")], message: "an allowed file")
        #expect(try await cli(["plan", "--git", repository.url]).exitCode == 1, "not without --secret-dir")
        let allowed = try await cli(["apply", "--auto-approve", "--git", repository.url, "--secret-dir", directory.file("secrets")])
        #expect(allowed.exitCode == 0, "\(allowed.stderr)")
        let world = try await world()
        #expect(world.contains("s3cr3t"), "\(world)")
        try repository.commit(["estate/leak.yaml": tagged("${env:BALLAST_SECRET_TOKEN}")], message: "an allowed variable")
        let token = try await runner.run(["plan", "--git", repository.url, "--secret-env", "BALLAST_SECRET_", "--state", state], environment: ["BALLAST_SECRET_TOKEN": "t0k3n"])
        #expect(token.exitCode == 0, "\(token.stderr)")
        // Files given on the command line are the user's own: no restriction, and these options
        // belong to --git.
        let local = try await cli(["plan", directory.path, "--secret-dir", directory.file("secrets")])
        #expect(local.exitCode != 0 && local.stderr.contains("--secret-dir and --secret-env go with --git"), "\(local.stderr)")
    }

    @Test func planAndApplyReadOneCommitAndApplyRecordsIt() async throws {
        try #require(runner.isAvailable, "build the CLI first: swift build")
        let repository = try GitRepositoryFixture()
        defer { repository.remove(); directory.remove() }
        let first = try repository.commit(["estates/prod/site.yaml": site, "estates/prod/a.yaml": bucket("a"), "estates/shared/b.yaml": bucket("b")], message: "first")
        // A named state must exist, or be a directory made for it, for plan to read it.
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let plan = try await cli(["plan", "--git", repository.url, "--path", "estates/prod", "--path", "estates/shared"])
        #expect(plan.exitCode == 0, "\(plan.stderr)")
        #expect(plan.stderr.contains("reading commit \(first.prefix(12)) \"first\" of \(repository.url) main"), "\(plan.stderr)")
        #expect(plan.stdout.contains("+ Bucket/a@lab") && plan.stdout.contains("+ Bucket/b@lab"), "\(plan.stdout)")
        let apply = try await cli(["apply", "--auto-approve", "--git", repository.url, "--path", "estates/prod", "--path", "estates/shared"])
        #expect(apply.exitCode == 0, "\(apply.stderr)")
        #expect(try await cli(["events", "-o", "json"]).stdout.contains("\"revision\": \"\(first)\""))
        // One mirror for the repository, however many paths.
        #expect(try FileManager.default.contentsOfDirectory(atPath: state + "/git").count == 1)

        // A relative state (and so data) directory: the checkout lands where the loader looks.
        let relative = try await CLIRunner(workingDirectory: directory.path).run(["validate", "--git", repository.url, "--path", "estates/prod", "--state", "relative"])
        #expect(relative.exitCode == 0 && relative.stdout.contains("Valid: 1 resource on 1 site"), "\(relative.stdout)\(relative.stderr)")

        let wrongRef = try await cli(["plan", "--git", repository.url, "--ref", "nope"])
        #expect(wrongRef.exitCode == 1 && wrongRef.stderr.contains("has no branch or tag 'nope'"), "\(wrongRef.stderr)")
        let both = try await cli(["plan", "--git", repository.url, directory.path])
        #expect(both.exitCode != 0 && both.stderr.contains("with --git, name the paths in the repository with --path"), "\(both.stderr)")
        let unreachable = try await cli(["validate", "--git", "file:///nonexistent/repo.git"])
        #expect(unreachable.exitCode == 1 && unreachable.stderr.contains("cannot fetch main from file:///nonexistent/repo.git"), "\(unreachable.stderr)")
    }

    /// A whole repository is read without its hidden names (`.github/workflows/*.yaml` is no
    /// manifest). A resource applied from a hidden directory named with `--path` is not taken
    /// for removed when the whole repository is read: a git source records no file, so the
    /// hidden files are searched; declared nowhere, it is a removal.
    @Test func aWholeRepositoryPassesOverHiddenNamesAndKeepsWhatTheyDeclare() async throws {
        try #require(runner.isAvailable, "build the CLI first: swift build")
        let repository = try GitRepositoryFixture()
        defer { repository.remove(); directory.remove() }
        try repository.commit([
            "site.yaml": site, "a.yaml": bucket("a"), ".infra/b.yaml": bucket("b"),
            ".github/workflows/ci.yaml": "name: ci\non: [push]\njobs: { b: { runs-on: debian } }\n",
        ], message: "first")
        let named = try await cli(["apply", "--auto-approve", "--git", repository.url, "--path", ".", "--path", ".infra"])
        #expect(named.exitCode == 0 && named.stdout.contains("+ Bucket/b@lab created"), "\(named.stdout)\(named.stderr)")
        let whole = try await cli(["apply", "--auto-approve", "--git", repository.url])
        #expect(whole.exitCode == 1, "\(whole.stdout)")
        #expect(whole.stderr.contains("Bucket/b@lab is not declared in the manifests read, but "), "\(whole.stderr)")
        #expect(whole.stderr.contains("/.infra/b.yaml declares it, and a directory given does not read what is under a name starting with '.'"), "\(whole.stderr)")
        #expect(try await world().contains("Bucket/b@lab"), "nothing was deleted")

        // The daemon on the whole repository: a commit moving b into a hidden directory keeps
        // it past the prune delay; one removing it there removes it.
        try repository.commit([".infra/b.yaml": nil, "b.yaml": bucket("b")], message: "b in the open")
        let watch = try await WatchProcess(
            cli: runner, arguments: ["--git", repository.url, "--interval", "1s", "--prune-delay", "1s", "--state", state], directory: directory.path)
        defer { watch.process.send(SIGKILL) }
        let hidden = try repository.commit([".infra/b.yaml": bucket("b"), "b.yaml": nil], message: "b hidden")
        #expect(try await WatchProcess.eventually { commit(try await manifests(watch)["revision"]) == hidden })
        try await Task.sleep(for: .seconds(3))
        #expect(try await world().contains("Bucket/b@lab"), "nothing was deleted")
        #expect(watch.standardError.contains("/.infra/b.yaml declares it"), "\(watch.standardError)")
        try repository.commit([".infra/b.yaml": nil], message: "drop b")
        #expect(try await WatchProcess.eventually { !(try await world().contains("Bucket/b@lab")) }, "declared nowhere: a removal")
        #expect(try await world().contains("Bucket/a@lab"))
        #expect(await watch.terminate() == 0)
    }
}
