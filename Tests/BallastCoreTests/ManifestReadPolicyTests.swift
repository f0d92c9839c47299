import BallastCore
import BallastTesting
import Foundation
import Testing

/// Manifests from a git source read files only in the repository and the allowed directories,
/// links resolved, and only the allowed variables; the user's own manifests read anything.
@Suite("Manifest read policy")
struct ManifestReadPolicyTests {
    @Test func theUsersOwnManifestsReadAnything() {
        #expect(ManifestReadPolicy.unrestricted.refusal(file: "/etc/shadow") == nil)
        #expect(ManifestReadPolicy.unrestricted.refusal(environment: "AWS_SECRET_ACCESS_KEY") == nil)
    }

    @Test func aGitSourceReadsOnlyInsideTheRepositoryAndTheSecretDirectories() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        directory.write("trees/abc/estates/ca.pem", "pem")
        directory.write("secrets/db-password", "s3cr3t")
        directory.write("secrets-old/db-password", "old")
        let policy = ManifestReadPolicy.gitSource(repository: directory.file("trees"), secretDirectories: [directory.file("secrets")], environmentPrefixes: [])
        #expect(policy.refusal(file: directory.file("trees/abc/estates/ca.pem")) == nil)
        #expect(policy.refusal(file: directory.file("secrets/db-password")) == nil)
        #expect(policy.refusal(file: directory.file("trees/abc/estates/../../../secrets/db-password")) == nil, "`..` is resolved, and lands inside")
        let outside = try #require(policy.refusal(file: "/etc/hostname"))
        #expect(outside.contains("manifests from a git source may read files only in the repository and the directories --secret-dir allows, and /etc/hostname is outside them"))
        #expect(policy.refusal(file: directory.file("secrets-old/db-password")) != nil, "a sibling whose name starts the same is outside")
        #expect(policy.refusal(file: directory.file("trees/abc/../../secrets-old/db-password")) != nil)
        #expect(policy.refusal(file: directory.file("trees/abc/missing.yaml")) == nil, "a missing file inside is left to the read to report")
        // `~` is the home directory, as the read takes it, wherever the process runs.
        let home = ManifestReadPolicy.gitSource(repository: directory.file("trees"), secretDirectories: [FileManager.default.currentDirectoryPath], environmentPrefixes: [])
        #expect(home.refusal(file: "~/.ssh/id_ed25519") != nil || NSHomeDirectory().hasPrefix(FileManager.default.currentDirectoryPath))
    }

    @Test func aLinkCommittedIntoTheRepositoryIsFollowedBeforeItIsJudged() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        directory.write("trees/abc/estates/site.yaml", "")
        try FileManager.default.createSymbolicLink(atPath: directory.file("trees/abc/estates/etc"), withDestinationPath: "/etc")
        let policy = ManifestReadPolicy.gitSource(repository: directory.file("trees"), secretDirectories: [], environmentPrefixes: [])
        let refusal = try #require(policy.refusal(file: directory.file("trees/abc/estates/etc/hostname")))
        #expect(refusal.contains("(it leads to /etc/hostname)"), "\(refusal)")
    }

    @Test func aGitSourceReadsOnlyTheVariablesWithAnAllowedPrefix() throws {
        let none = ManifestReadPolicy.gitSource(repository: "/srv/trees", secretDirectories: [], environmentPrefixes: [])
        #expect(try #require(none.refusal(environment: "HOME")).contains("may read only the environment variables --secret-env allows (none is allowed)"))
        let some = ManifestReadPolicy.gitSource(repository: "/srv/trees", secretDirectories: [], environmentPrefixes: ["BALLAST_SECRET_", "TF_VAR_"])
        #expect(some.refusal(environment: "BALLAST_SECRET_DB") == nil)
        #expect(some.refusal(environment: "TF_VAR_region") == nil)
        #expect(try #require(some.refusal(environment: "AWS_SECRET_ACCESS_KEY")).contains("allowed: names starting with BALLAST_SECRET_, TF_VAR_"))
    }
}
