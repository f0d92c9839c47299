import BallastCore
import BallastProviders
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A local copy of one ref of one remote repository, under `directory`, kept with the system
/// git CLI:
///
/// - `repo.git`: a bare repository, fetched shallowly (only the tip's history is needed);
/// - `trees/COMMIT`: one read-only copy of each commit's files, written under a temporary name
///   and renamed into place, so a crash never leaves half a tree where a whole one is expected.
///
/// git runs with no terminal prompt (credentials come from credential helpers,
/// `GIT_SSH_COMMAND` or `~/.netrc`), no hooks, no command-running transports, symlinks
/// checked out as plain files, and a timeout on every call. Fetches and checkouts take a file
/// lock, so processes sharing the directory take turns.
public struct GitMirror: Sendable {
    public let remote: GitRemote
    public let directory: String
    /// How long one git command may take before it is killed.
    public let timeout: Duration
    let executable: String

    public init(remote: GitRemote, dataDirectory: String, timeout: Duration = .seconds(120)) throws(GitError) {
        guard let executable = Self.locateGit() else {
            throw GitError(.local, "git is not installed (looked for it on PATH); install it (apt-get install git) to follow a repository")
        }
        self.remote = remote
        // Absolute: git resolves --git-dir and --work-tree on its own terms, and paths handed to
        // the loader must not depend on the working directory.
        let base = dataDirectory.hasPrefix("/") ? dataDirectory : FileManager.default.currentDirectoryPath + "/" + dataDirectory
        self.directory = (base as NSString).standardizingPath + "/git/" + remote.key
        self.timeout = timeout
        self.executable = executable
    }

    var repository: String { directory + "/repo.git" }
    /// Where each commit's files are checked out, one directory per commit.
    public var treesDirectory: String { directory + "/trees" }
    static let tipRef = "refs/ballast/tip"

    /// Fetches the ref's newest commit and returns its id. A fetch that fails leaves what was
    /// fetched before as it was.
    ///
    /// The first fetch takes the tip alone (`--depth=1`). Later ones take only the commits since
    /// the previous tip, which also tells a fast-forward from a rewrite; after a force-push they
    /// take the new history down to where it meets what is here.
    public func fetch() async throws(GitError) -> String {
        try await locked { () async throws(GitError) -> String in
            try await createRepository()
            let hasTip = (try? await commitID(Self.tipRef)) != nil
            try await fetch(into: Self.tipRef, depth: hasTip ? [] : ["--depth=1"])
            return try await commitID(Self.tipRef)
        }
    }

    /// The directory holding the files of `commit` (fetched before), checked out when needed.
    public func tree(_ commit: String) async throws(GitError) -> String {
        let target = treesDirectory + "/" + commit
        if FileManager.default.fileExists(atPath: target) { return target }
        return try await locked { () async throws(GitError) -> String in
            if FileManager.default.fileExists(atPath: target) { return target }
            let partial = treesDirectory + "/.partial-" + commit
            try? FileManager.default.removeItem(atPath: partial)
            try? FileManager.default.removeItem(atPath: partial + ".index")
            do {
                try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: true)
            } catch {
                throw GitError(.local, "cannot create \(partial): \(error.localizedDescription)")
            }
            // Plumbing, with an index of its own: no work tree, no HEAD moved, no hooks.
            let index = ["GIT_INDEX_FILE": partial + ".index"]
            try await run(["read-tree", commit], environment: index)
            try await run(["--work-tree=\(partial)", "checkout-index", "--all", "--force"], environment: index)
            try? FileManager.default.removeItem(atPath: partial + ".index")
            guard rename(partial, target) == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(atPath: partial)
                if FileManager.default.fileExists(atPath: target) { return target }
                throw GitError(.local, "cannot move the checkout of \(commit) into place: \(reason)")
            }
            return target
        }
    }

    /// The paths of `commit`'s submodules (git links). They are not fetched: a checkout leaves
    /// each as an empty directory.
    public func submodules(_ commit: String) async throws(GitError) -> [String] {
        let result = try await run(["ls-tree", "-r", "-z", commit])
        // One "MODE TYPE OBJECT<tab>PATH" per entry, NUL-terminated.
        return result.output.split(separator: "\0").compactMap { entry in
            guard let tab = entry.firstIndex(of: "\t") else { return nil }
            let fields = entry[..<tab].split(separator: " ")
            return fields.count == 3 && fields[1] == "commit" ? String(entry[entry.index(after: tab)...]) : nil
        }
    }

    /// When `commit` was made, and its subject.
    public func revision(_ commit: String) async throws(GitError) -> SourceRevision {
        let result = try await run(["log", "-1", "--format=%H%x00%ct%x00%s", commit])
        let parts = result.output.trimmingCharacters(in: .newlines).split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let seconds = Double(parts[1]) else { throw GitError(.local, "git log \(commit) gave an unreadable answer") }
        return SourceRevision(commit: parts[0], committedAt: Date(timeIntervalSince1970: seconds), subject: parts[2])
    }

    /// Whether `descendant` was made on top of `ancestor`: false for a history rewrite (a
    /// force-push), nil when it cannot be told.
    public func descends(_ descendant: String, from ancestor: String) async -> Bool? {
        guard let result = try? await run(["merge-base", "--is-ancestor", ancestor, descendant], check: false) else { return nil }
        switch result.status {
        case 0: return true
        case 1: return false
        default: return nil
        }
    }

    /// Checks that `commit` is signed by a key `allowedSigners` names (SSH signatures, as
    /// `git verify-commit` reads them).
    public func verify(_ commit: String, allowedSigners: String) async throws(GitError) {
        let result = try await run(
            ["-c", "gpg.format=ssh", "-c", "gpg.ssh.allowedSignersFile=\(allowedSigners)", "verify-commit", commit], check: false)
        guard result.status == 0 else {
            let lines = result.errors.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let why = lines.isEmpty ? "no valid signature" : lines.joined(separator: "; ")
            throw GitError(.unverified, "commit \(commit.prefix(12)) is not signed by an allowed signer (\(why))")
        }
    }

    /// Removes the checked-out trees of every commit but `keeping` and the `keepingNewest`
    /// checked out last.
    public func removeTrees(keeping: Set<String>, keepingNewest: Int) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: treesDirectory) else { return }
        let trees = names.filter { !$0.hasPrefix(".") }.map { name in
            (name, (try? FileManager.default.attributesOfItem(atPath: treesDirectory + "/" + name)[.modificationDate] as? Date) ?? .distantPast)
        }
        let newest = Set(trees.sorted { $0.1 > $1.1 }.prefix(keepingNewest).map(\.0))
        for (name, _) in trees where !keeping.contains(name) && !newest.contains(name) {
            try? FileManager.default.removeItem(atPath: treesDirectory + "/" + name)
        }
    }

    /// Whether `commit`'s tree is checked out already.
    public func hasTree(_ commit: String) -> Bool {
        FileManager.default.fileExists(atPath: treesDirectory + "/" + commit)
    }

    // MARK: git

    private func createRepository() async throws(GitError) {
        guard !FileManager.default.fileExists(atPath: repository + "/HEAD") else { return }
        let partial = directory + "/.partial-repo.git"
        try? FileManager.default.removeItem(atPath: partial)
        try await run(["init", "--bare", "--quiet", partial], inRepository: false)
        guard rename(partial, repository) == 0 else { throw GitError(.local, "cannot create \(repository): \(String(cString: strerror(errno)))") }
    }

    private func fetch(into ref: String, depth: [String]) async throws(GitError) {
        // "--" ends the options: the URL and refspec are never read as one.
        let result = try await run(
            ["fetch", "--quiet", "--no-tags", "--no-recurse-submodules", "--no-write-fetch-head"] + depth + ["--", remote.url, "+\(remote.ref):\(ref)"],
            check: false)
        guard result.status != 0 else { return }
        throw Self.classify(result, remote: remote)
    }

    private func commitID(_ ref: String) async throws(GitError) -> String {
        let result = try await run(["rev-parse", "--verify", "--quiet", "\(ref)^{commit}"])
        let commit = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard commit.count >= 40, commit.allSatisfy(\.isHexDigit) else { throw GitError(.local, "\(remote.ref) did not name a commit") }
        return commit
    }

    /// Runs git on the repository; a non-zero exit is an error unless `check` is false.
    @discardableResult
    func run(_ arguments: [String], environment: [String: String] = [:], inRepository: Bool = true, check: Bool = true) async throws(GitError) -> ProcessResult {
        let fixed = [
            "-c", "protocol.ext.allow=never", "-c", "protocol.fd.allow=never", "-c", "core.hooksPath=/dev/null",
            "-c", "core.symlinks=false", "-c", "gc.auto=0", "-c", "maintenance.auto=false", "-c", "credential.interactive=false",
        ]
        let place = inRepository ? ["--git-dir=\(repository)"] : []
        let result: ProcessResult
        do {
            result = try await ProcessRunner.run(
                executable, fixed + place + arguments, environment: Self.environment.merging(environment) { _, given in given }, timeout: timeout, what: "git")
        } catch {
            throw GitError(error.code == .timeout ? .unreachable : .local, "git \(arguments.first ?? ""): \(error.message)")
        }
        if check && result.status != 0 {
            throw GitError(.local, "git \(arguments.first ?? "") failed: \(result.errors.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return result
    }

    /// Never a prompt, never a pager, messages in English (they are classified).
    static let environment = [
        "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "LC_ALL": "C", "LANGUAGE": "C", "GIT_ASKPASS": "", "SSH_ASKPASS": "",
        "GIT_SSH_VARIANT": "ssh",
    ]

    /// What a failed fetch means for the user.
    static func classify(_ result: ProcessResult, remote: GitRemote) -> GitError {
        let text = result.errors.trimmingCharacters(in: .whitespacesAndNewlines)
        let lower = text.lowercased()
        let url = remote.redactedURL
        if lower.contains("couldn't find remote ref") || lower.contains("could not find remote ref") {
            return GitError(.refNotFound, "\(url) has no branch or tag '\(remote.ref)'")
        }
        if lower.contains("authentication failed") || lower.contains("could not read username") || lower.contains("could not read password")
            || lower.contains("permission denied (publickey") || lower.contains("terminal prompts disabled") {
            return GitError(.authentication, "\(url) refused the credentials: \(text)")
        }
        return GitError(.unreachable, "cannot fetch \(remote.ref) from \(url): \(text.isEmpty ? "git exited with status \(result.status)" : text)")
    }

    /// Runs `body` holding the directory's lock (an exclusive `flock`), waiting for it without
    /// blocking a thread of the cooperative pool.
    private func locked<T: Sendable>(_ body: () async throws(GitError) -> T) async throws(GitError) -> T {
        do {
            try FileManager.default.createDirectory(atPath: treesDirectory, withIntermediateDirectories: true)
        } catch {
            throw GitError(.local, "cannot create \(treesDirectory): \(error.localizedDescription)")
        }
        let descriptor = open(directory + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw GitError(.local, "cannot open \(directory)/lock: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else { throw GitError(.local, "cannot lock \(directory): \(String(cString: strerror(errno)))") }
            try? await Task.sleep(for: .milliseconds(50))
        }
        defer { flock(descriptor, LOCK_UN) }
        return try await body()
    }

    static func locateGit() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/git"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
