import BallastCore
import Foundation

/// A real git repository for tests: a bare repository (the "remote", cloned over `file://`)
/// and a working clone that commits and pushes to it. Every change goes through the system
/// git CLI, as a user's would.
public final class GitRepositoryFixture: @unchecked Sendable {
    public let directory: TemporaryDirectory
    /// The bare repository's path; ``url`` is what Ballast is given.
    public let bare: String
    public let work: String
    public let branch: String
    public var url: String { "file://" + bare }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/git") }

    public init(branch: String = "main") throws {
        directory = TemporaryDirectory(prefix: "ballast-git")
        bare = directory.file("remote.git")
        work = directory.file("work")
        self.branch = branch
        try Self.git(["init", "--quiet", "--bare", "--initial-branch=\(branch)", bare])
        try Self.git(["init", "--quiet", "--initial-branch=\(branch)", work])
        try Self.git(["-C", work, "remote", "add", "origin", bare])
    }

    /// Writes (or with nil, removes) files in the working clone, commits them and pushes;
    /// returns the new commit's id.
    /// `signingKey`: an SSH private key file to sign the commit with (`git commit -S`, SSH format).
    @discardableResult
    public func commit(_ files: [String: String?], message: String, push: Bool = true, signingKey: String? = nil) throws -> String {
        for (name, text) in files {
            let path = work + "/" + name
            if let text {
                try FileManager.default.createDirectory(atPath: PathText.deletingLastComponent(path), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            } else {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        try git(["add", "--all"])
        if let signingKey {
            try git(["-c", "gpg.format=ssh", "-c", "user.signingkey=\(signingKey)", "commit", "--quiet", "--allow-empty", "-S", "-m", message])
        } else {
            try git(["commit", "--quiet", "--allow-empty", "-m", message])
        }
        if push { try self.push() }
        return try head()
    }

    public func push(force: Bool = false) throws {
        try git(["push", "--quiet"] + (force ? ["--force"] : []) + ["origin", "HEAD:refs/heads/\(branch)"])
    }

    /// Moves the working clone back to `commit` (dropping what came after), so that the next
    /// commit and a forced push rewrite the branch's history.
    public func reset(to commit: String) throws {
        try git(["reset", "--quiet", "--hard", commit])
    }

    /// Deletes the branch on the remote.
    public func deleteBranch() throws {
        try Self.git(["--git-dir=\(bare)", "update-ref", "-d", "refs/heads/\(branch)"])
    }

    public func head() throws -> String {
        try git(["rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Makes the remote unreachable (moved aside) or reachable again.
    public func setReachable(_ reachable: Bool) throws {
        let aside = bare + ".aside"
        if reachable {
            if FileManager.default.fileExists(atPath: aside) { try FileManager.default.moveItem(atPath: aside, toPath: bare) }
        } else {
            try FileManager.default.moveItem(atPath: bare, toPath: aside)
        }
    }

    /// Commits a submodule (a git link to `commit` of another repository) at `path` and
    /// pushes; returns the new commit's id. Written to the index alone: the working clone has
    /// nothing at `path`, which ``commit(_:message:push:signingKey:)`` would take as removed.
    @discardableResult
    public func addSubmodule(at path: String, commit: String, message: String) throws -> String {
        try git(["update-index", "--add", "--cacheinfo", "160000,\(commit),\(path)"])
        try git(["commit", "--quiet", "-m", message])
        try push()
        return try head()
    }

    @discardableResult
    func git(_ arguments: [String]) throws -> String {
        try Self.git(["-C", work, "-c", "user.name=Ballast Test", "-c", "user.email=test@ballast.invalid", "-c", "commit.gpgsign=false"] + arguments)
    }

    @discardableResult
    static func git(_ arguments: [String]) throws -> String {
        let (status, output) = try Subprocess.run(["/usr/bin/git"] + arguments)
        guard status == 0 else { throw Failure(description: "git \(arguments.joined(separator: " ")) failed (\(status)): \(output)") }
        return output
    }

    /// An SSH key pair made with ssh-keygen, and an allowed-signers file naming its public key:
    /// (private key path, allowed-signers path).
    public func signingKey(name: String) throws -> (key: String, allowedSigners: String) {
        let key = directory.file(name)
        let (status, output) = try Subprocess.run(["/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key])
        guard status == 0 else { throw Failure(description: "ssh-keygen failed: \(output)") }
        let publicKey = try String(contentsOfFile: key + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let signers = directory.file(name + ".allowed")
        try Data("test@ballast.invalid \(publicKey)\n".utf8).write(to: URL(fileURLWithPath: signers))
        return (key, signers)
    }

    public func remove() {
        directory.remove()
    }
}
