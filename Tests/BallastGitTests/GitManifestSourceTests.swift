import BallastCore
import BallastEngine
import BallastGit
import BallastTesting
import Foundation
import Logging
import Testing

/// The git source against real repositories: a bare repository cloned over file://, changed by
/// commits, force-pushes, a deleted branch and a remote moved away.
@Suite(.enabled(if: GitRepositoryFixture.isAvailable, "git is not installed"))
struct GitManifestSourceTests {
    let data = TemporaryDirectory(prefix: "ballast-git-data")
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    func source(_ repository: GitRepositoryFixture, paths: [String] = ["estates/prod"], signers: String? = nil) throws -> GitManifestSource {
        let mirror = try GitMirror(remote: try GitRemote(url: repository.url, ref: repository.branch), dataDirectory: data.path, timeout: .seconds(30))
        return try GitManifestSource(mirror: mirror, paths: paths, interval: .milliseconds(200), allowedSigners: signers, logger: logger)
    }

    func read(_ source: GitManifestSource, _ fingerprint: ManifestFingerprint, _ file: String) -> String? {
        try? String(contentsOfFile: source.paths(for: fingerprint)[0] + "/" + file, encoding: .utf8)
    }

    /// The next change, within `timeout`: a liveness bound, generous for a loaded machine (20 s
    /// ran out once while the whole suite shared two cores with a 100k-resource benchmark).
    func next(_ source: GitManifestSource, from loaded: ManifestFingerprint?, timeout: Duration = .seconds(60)) async -> ManifestFingerprint? {
        await withTaskGroup(of: ManifestFingerprint?.self) { group in
            group.addTask { await source.nextChange(from: loaded, extraFiles: { [] }) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    @Test func oneOffReadsKeepTheNewestCheckoutsAndTheOneADaemonHasInForce() async throws {
        let repository = try GitRepositoryFixture()
        defer { repository.remove(); data.remove() }
        let first = try repository.commit(["estates/prod/app.yaml": "0\n"], message: "c0")
        // A daemon on the same data directory has the first commit in force.
        let daemon = try source(repository)
        daemon.adopted(try await daemon.initial())
        var read: [String] = [first]
        for index in 1...6 {
            read.append(try repository.commit(["estates/prod/app.yaml": "\(index)\n"], message: "c\(index)"))
            let oneOff = try source(repository)
            await oneOff.look()
            #expect(oneOff.status().latest?.commit == read.last)
            // Each read checks its commit out: it is there to load.
            #expect(FileManager.default.fileExists(atPath: oneOff.paths(for: ManifestFingerprint(revision: try #require(oneOff.status().latest)))[0] + "/app.yaml"))
            oneOff.pruneAfterReading(keepingNewest: 3)
            try await Task.sleep(for: .milliseconds(20))
        }
        let mirror = try GitMirror(remote: try GitRemote(url: repository.url, ref: repository.branch), dataDirectory: data.path, timeout: .seconds(30))
        let kept = read.filter { mirror.hasTree($0) }
        #expect(kept == [first] + read.suffix(3), "the one in force, and the 3 newest")
    }

    @Test func followsCommitsKeepsEachCommitApartAndReportsAForcePush() async throws {
        let repository = try GitRepositoryFixture()
        defer { repository.remove(); data.remove() }
        let first = try repository.commit(["estates/prod/app.yaml": "one\n", "README": "x\n"], message: "first")
        let source = try source(repository)
        let start = try await source.initial()
        #expect(start.revision?.commit == first)
        #expect(start.revision?.subject == "first")
        #expect(read(source, start, "app.yaml") == "one\n")
        source.adopted(start)

        let second = try repository.commit(["estates/prod/app.yaml": "two\n"], message: "second")
        let changed = try #require(await next(source, from: start))
        #expect(changed.revision?.commit == second)
        #expect(read(source, changed, "app.yaml") == "two\n")
        // The first commit's files are untouched: a load of it never sees the second.
        #expect(read(source, start, "app.yaml") == "one\n")
        #expect(source.status().notice == nil)
        #expect(source.status().error == nil)

        // A rewrite: back to the first commit, a different second one, pushed with --force.
        try repository.reset(to: first)
        let rewritten = try repository.commit(["estates/prod/app.yaml": "rewritten\n"], message: "rewritten", push: false)
        try repository.push(force: true)
        let afterRewrite = try #require(await next(source, from: changed))
        #expect(afterRewrite.revision?.commit == rewritten)
        #expect(read(source, afterRewrite, "app.yaml") == "rewritten\n")
        #expect(source.status().notice?.contains("history rewritten") == true, "\(source.status())")
    }

    @Test func anUnreachableRemoteOrADeletedBranchKeepsTheLastCommitAndIsReported() async throws {
        let repository = try GitRepositoryFixture()
        defer { repository.remove(); data.remove() }
        let first = try repository.commit(["estates/prod/app.yaml": "one\n"], message: "first")
        let source = try source(repository)
        let start = try await source.initial()

        try repository.setReachable(false)
        await source.look()
        #expect(source.status().error?.contains("cannot fetch main") == true, "\(source.status())")
        #expect(source.fingerprint(extraFiles: []) == start)
        #expect(source.status().latest?.commit == first)

        try repository.setReachable(true)
        await source.look()
        #expect(source.status().error == nil)

        try repository.deleteBranch()
        await source.look()
        #expect(source.status().error?.contains("has no branch or tag 'main'") == true, "\(source.status())")
        #expect(source.fingerprint(extraFiles: []) == start)
    }

    @Test func aRestartWhileUnreachableStartsFromTheCommitLastInForce() async throws {
        let repository = try GitRepositoryFixture()
        defer { repository.remove(); data.remove() }
        let first = try repository.commit(["estates/prod/app.yaml": "one\n"], message: "first")
        let before = try source(repository)
        before.adopted(try await before.initial())
        try repository.commit(["estates/prod/app.yaml": "two\n"], message: "second")
        try repository.setReachable(false)

        let restarted = try source(repository)
        let start = try await restarted.initial()
        #expect(start.revision?.commit == first)
        #expect(read(restarted, start, "app.yaml") == "one\n")
        #expect(restarted.status().error != nil)

        // Nothing fetched and nothing in force: there is nothing to start from.
        let empty = TemporaryDirectory(prefix: "ballast-git-empty")
        defer { empty.remove() }
        let mirror = try GitMirror(remote: try GitRemote(url: repository.url, ref: "main"), dataDirectory: empty.path)
        let fresh = try GitManifestSource(mirror: mirror, paths: [], interval: .seconds(1), logger: logger)
        await #expect(throws: GitError.self) { try await fresh.initial() }
    }

    @Test func twoPathsAreReadFromOneFetchOfOneCommit() async throws {
        let repository = try GitRepositoryFixture()
        defer { repository.remove(); data.remove() }
        try repository.commit(["estates/prod/a.yaml": "a\n", "estates/shared/b.yaml": "b\n"], message: "two paths")
        let source = try source(repository, paths: ["estates/prod", "estates/shared"])
        let start = try await source.initial()
        let paths = source.paths(for: start)
        #expect(paths.count == 2)
        #expect(paths.map { ($0 as NSString).deletingLastPathComponent }.allSatisfy { $0 == (paths[0] as NSString).deletingLastPathComponent })
        #expect((try? String(contentsOfFile: paths[1] + "/b.yaml", encoding: .utf8)) == "b\n")
        // One mirror for the repository and ref, whatever the paths.
        #expect(try FileManager.default.contentsOfDirectory(atPath: data.file("git")).count == 1)
    }

    @Test func aWebhookHintFetchesAtOnce() async throws {
        let repository = try GitRepositoryFixture()
        defer { repository.remove(); data.remove() }
        try repository.commit(["estates/prod/app.yaml": "one\n"], message: "first")
        let mirror = try GitMirror(remote: try GitRemote(url: repository.url, ref: "main"), dataDirectory: data.path)
        // An hour between fetches: only the hint can bring the next commit in time.
        let source = try GitManifestSource(mirror: mirror, paths: ["estates/prod"], interval: .seconds(3600), logger: logger)
        let start = try await source.initial()
        let second = try repository.commit(["estates/prod/app.yaml": "two\n"], message: "second")
        source.refresh()
        let changed = try #require(await next(source, from: start, timeout: .seconds(60)))
        #expect(changed.revision?.commit == second)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh-keygen"), "ssh-keygen is not installed"))
    func withVerifyCommitsOnlySignedCommitsAreUsed() async throws {
        let repository = try GitRepositoryFixture()
        defer { repository.remove(); data.remove() }
        let trusted = try repository.signingKey(name: "trusted")
        let stranger = try repository.signingKey(name: "stranger")
        let signed = try repository.commit(["estates/prod/app.yaml": "one\n"], message: "signed", signingKey: trusted.key)
        let source = try source(repository, signers: trusted.allowedSigners)
        let start = try await source.initial()
        #expect(start.revision?.commit == signed)

        // Unsigned, then signed by a key the file does not name: neither is used.
        let unsigned = try repository.commit(["estates/prod/app.yaml": "two\n"], message: "unsigned")
        await source.look()
        #expect(source.fingerprint(extraFiles: []) == start)
        #expect(source.status().error?.contains("commit \(unsigned.prefix(12)) is not signed by an allowed signer") == true, "\(source.status())")
        try repository.commit(["estates/prod/app.yaml": "three\n"], message: "stranger", signingKey: stranger.key)
        await source.look()
        #expect(source.fingerprint(extraFiles: []) == start)

        // A signed commit on top is used, and the refusal is cleared.
        let next = try repository.commit(["estates/prod/app.yaml": "four\n"], message: "signed again", signingKey: trusted.key)
        await source.look()
        #expect(source.status().latest?.commit == next)
        #expect(source.status().error == nil)
    }

    /// A submodule is not fetched; checked out, it is an empty directory. Where manifests are
    /// read, its resources would read as removed: such a commit is refused, the last one stays.
    @Test func aCommitWithASubmoduleWhereManifestsAreReadIsRefused() async throws {
        let repository = try GitRepositoryFixture()
        defer { repository.remove(); data.remove() }
        let first = try repository.commit(["estates/prod/app.yaml": "one\n"], message: "one")
        let followed = try source(repository)
        let start = try await followed.initial()
        #expect(start.revision?.commit == first)

        // A submodule elsewhere in the repository is no concern of this source.
        let elsewhere = try repository.addSubmodule(at: "vendor/lib", commit: first, message: "a submodule outside estates/prod")
        await followed.look()
        #expect(followed.status().latest?.commit == elsewhere)
        #expect(followed.status().error == nil)

        let inside = try repository.addSubmodule(at: "estates/prod/team", commit: first, message: "manifests moved into a submodule")
        await followed.look()
        #expect(followed.status().latest?.commit == elsewhere, "the commit before stays in force")
        let error = try #require(followed.status().error)
        #expect(error.contains("commit \(inside.prefix(12)) has a git submodule where manifests are read ('estates/prod/team')"), "\(error)")

        // A source reading inside the submodule's path is refused too.
        let nested = try source(repository, paths: ["estates/prod/team/eu"])
        await nested.look()
        #expect(nested.status().latest == nil)
        #expect(nested.status().error?.contains("'estates/prod/team'") == true)
    }

    @Test func aSymlinkInACommitIsCheckedOutAsAPlainFileNeverFollowed() async throws {
        let repository = try GitRepositoryFixture()
        defer { repository.remove(); data.remove() }
        try FileManager.default.createDirectory(atPath: repository.work + "/estates/prod", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: repository.work + "/estates/prod/passwd.yaml", withDestinationPath: "/etc/passwd")
        try repository.commit([:], message: "a link out of the repository")
        let source = try source(repository)
        let start = try await source.initial()
        let path = source.paths(for: start)[0] + "/passwd.yaml"
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect(attributes[.type] as? FileAttributeType == .typeRegular)
        #expect(read(source, start, "passwd.yaml") == "/etc/passwd")
    }

    @Test func pathsAndRefsThatCouldBeReadAsOptionsAreRefused() throws {
        #expect(throws: GitError.self) { try GitRemote(url: "--upload-pack=touch /tmp/x", ref: "main") }
        #expect(throws: GitError.self) { try GitRemote(url: "ext::sh -c touch% /tmp/x", ref: "main") }
        #expect(throws: GitError.self) { try GitRemote(url: "https://example.com/r.git", ref: "-main") }
        #expect(throws: GitError.self) { try GitRemote(url: "https://example.com/r.git", ref: "main:refs/heads/x") }
        #expect(throws: GitError.self) { try GitRemote(url: "https://example.com/r.git", ref: "a..b") }
        let mirror = try GitMirror(remote: try GitRemote(url: "https://example.com/r.git", ref: "main"), dataDirectory: data.path)
        #expect(throws: GitError.self) { try GitManifestSource(mirror: mirror, paths: ["../outside"], interval: .seconds(1), logger: logger) }
        #expect(throws: GitError.self) { try GitManifestSource(mirror: mirror, paths: ["/etc"], interval: .seconds(1), logger: logger) }
    }

    @Test func credentialsInURLsAreNeverShown() throws {
        let remote = try GitRemote(url: "https://deploy:s3cret-token@git.example.com/infra.git", ref: "main")
        #expect(remote.redactedURL == "https://***@git.example.com/infra.git")
        #expect(GitRemote.redacted("fatal: unable to access 'https://u:p@h.example/r.git/': refused") == "fatal: unable to access 'https://***@h.example/r.git/': refused")
        #expect(!GitError(.unreachable, "cannot fetch from https://u:pw@h/r").message.contains("pw"))
        #expect(!remote.key.contains("s3cret"))
    }
}
