import BallastCore
import BallastHost
import BallastTesting
import Foundation
import Testing

private let root = Repository.root(from: #filePath)

/// A host estate run with the real CLI, locally or over SSH to a real sshd on 127.0.0.1.
private struct HostEstate {
    let directory = TemporaryDirectory(prefix: "ballast-host")
    let runner = CLIRunner(workingDirectory: root)
    var state: String { directory.file("state") }
    var manifests: String { directory.file("manifests") }
    var siteRoot: String { directory.file("root") }
    /// A hostile file name: spaces, quotes, `$(…)` and `;` must stay data.
    static let hostileName = "it's $(touch pwned); rm -rf x `id`.txt"

    init(transport: String) throws {
        try #require(runner.isAvailable, "build the CLI first: swift build")
        directory.write("manifests/site.yaml", """
        apiVersion: ballast.dev/v1
        kind: Site
        metadata: { name: box }
        spec:
          class: datacenter
          provider: host
          config: { root: "\(siteRoot)", \(transport) }
        """)
        directory.write("manifests/resources.yaml", """
        apiVersion: ballast.dev/v1
        kind: Directory
        metadata: { name: conf, site: box }
        spec: { path: "etc/my app" }
        ---
        apiVersion: ballast.dev/v1
        kind: File
        metadata: { name: config, site: box }
        spec:
          path: "etc/my app/\(Self.hostileName)"
          content: "answer = 'forty two' $(id)\\n"
          mode: "0600"
        ---
        apiVersion: ballast.dev/v1
        kind: Process
        metadata: { name: worker, site: box }
        spec:
          command: sleep
          args: ["600"]
          env: { NOTE: "a b'c; $(id)" }
        """)
    }

    @discardableResult
    func ballast(_ arguments: [String]) async throws -> CLIRunner.Result {
        try await runner.run(arguments + ["--state", state])
    }

    var filePath: String { siteRoot + "/etc/my app/" + Self.hostileName }
    var pid: Int32? { (try? String(contentsOfFile: siteRoot + "/.ballast-host/Process.worker.pid", encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) } }

    func alive(_ pid: Int32) -> Bool { kill(pid, 0) == 0 && !((try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.contains(") Z ") ?? true) }

    /// The whole lifecycle: create, no-op, drift (file edited, process killed), heal, delete.
    func lifecycle() async throws {
        let created = try await ballast(["apply", manifests, "--auto-approve"])
        #expect(created.exitCode == 0, "\(created.stdout)\(created.stderr)")
        #expect(try String(contentsOfFile: filePath, encoding: .utf8) == "answer = 'forty two' $(id)\n")
        #expect(try FileManager.default.attributesOfItem(atPath: filePath)[.posixPermissions] as? Int == 0o600)
        #expect(!FileManager.default.fileExists(atPath: directory.file("manifests/pwned")) && !FileManager.default.fileExists(atPath: root + "/pwned"))
        let firstPID = try #require(pid)
        #expect(alive(firstPID))
        #expect(try String(contentsOfFile: "/proc/\(firstPID)/environ", encoding: .utf8).contains("NOTE=a b'c; $(id)"))
        #expect(try await ballast(["plan", manifests, "--detailed-exitcode"]).exitCode == 0)
        // Drift: the file edited out of band, the process killed.
        try Data("tampered\n".utf8).write(to: URL(fileURLWithPath: filePath))
        kill(firstPID, SIGKILL)
        try await Task.sleep(for: .milliseconds(300))
        let drifted = try await ballast(["plan", manifests, "--detailed-exitcode"])
        #expect(drifted.exitCode == 2)
        #expect(drifted.stdout.contains("~ File/config@box  (drifted)") && drifted.stdout.contains("+ Process/worker@box  (vanished"), "\(drifted.stdout)")
        // The content change reads as a unified diff.
        #expect(drifted.stdout.contains("content: (text changed)") && drifted.stdout.contains("        -tampered\n") && drifted.stdout.contains("        +answer = 'forty two' $(id)\n"), "\(drifted.stdout)")
        #expect(try await ballast(["apply", manifests, "--auto-approve"]).exitCode == 0)
        #expect(try String(contentsOfFile: filePath, encoding: .utf8) == "answer = 'forty two' $(id)\n")
        let secondPID = try #require(pid)
        #expect(secondPID != firstPID && alive(secondPID))
        #expect(try await ballast(["plan", manifests, "--detailed-exitcode"]).exitCode == 0)
        // Delete: everything goes; the process is stopped.
        try FileManager.default.removeItem(atPath: manifests + "/resources.yaml")
        let pruned = try await ballast(["apply", manifests, "--auto-approve"])
        #expect(pruned.exitCode == 0, "\(pruned.stdout)\(pruned.stderr)")
        #expect(!FileManager.default.fileExists(atPath: filePath))
        try await Task.sleep(for: .milliseconds(200))
        #expect(!alive(secondPID))
    }
}

@Suite("host provider", .serialized)
struct HostTests {
    @Test func theDatacenterExampleRunsAsItIs() async throws {
        let state = TemporaryDirectory(prefix: "ballast-datacenter")
        defer { state.remove() }
        let runner = CLIRunner(workingDirectory: root)
        let manifests = root + "/manifests/examples/datacenter"
        let applied = try await runner.run(["apply", manifests, "--auto-approve", "--state", state.path])
        #expect(applied.exitCode == 0, "\(applied.stdout)\(applied.stderr)")
        // Under the state directory, whatever the working directory.
        let rack = state.file("datacenter/rack-1")
        #expect(FileManager.default.fileExists(atPath: rack + "/srv/app/config.env"))
        #expect((try? String(contentsOfFile: rack + "/srv/app/index.html", encoding: .utf8))?.contains("managed by Ballast") == true)
        #expect(try await CLIRunner(workingDirectory: "/").run(["plan", manifests, "--state", state.path, "--detailed-exitcode"]).exitCode == 0)
        let destroyed = try await runner.run(["destroy", manifests, "--auto-approve", "--state", state.path])
        #expect(destroyed.exitCode == 0, "\(destroyed.stdout)\(destroyed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: rack + "/srv/app"))
    }

    @Test func localLifecycle() async throws {
        let estate = try HostEstate(transport: "transport: local")
        defer { estate.directory.remove() }
        try await estate.lifecycle()
    }

    @Test func sshLifecycle() async throws {
        let server = try SSHServer()
        defer { server.stop() }
        let estate = try HostEstate(transport: "transport: ssh, host: 127.0.0.1, port: \(server.port), user: \(server.user), identityFile: \"\(server.identityFile)\", knownHostsFile: \"\(server.knownHostsFile)\"")
        defer { estate.directory.remove() }
        try await estate.lifecycle()
    }

    @Test func pathsOutsideTheRootAreRefusedByValidate() async throws {
        let estate = try HostEstate(transport: "transport: local")
        defer { estate.directory.remove() }
        estate.directory.write("manifests/resources.yaml", """
        apiVersion: ballast.dev/v1
        kind: File
        metadata: { name: escape, site: box }
        spec: { path: "../../etc/ballast-escape", content: "x" }
        ---
        apiVersion: ballast.dev/v1
        kind: Process
        metadata: { name: wanderer, site: box }
        spec: { command: "true", workingDir: "/etc" }
        """)
        let result = try await estate.ballast(["validate", estate.manifests])
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("resources.yaml:3:19: error: File/escape@box spec.path '../../etc/ballast-escape' leaves the site's spec.config.root"), "\(result.stderr)")
        #expect(result.stderr.contains("Process/wanderer@box spec.workingDir '/etc' leaves the site's spec.config.root"))
    }

    @Test func aFileCanTakeItsContentFromASourceBesideTheManifest() async throws {
        let estate = try HostEstate(transport: "transport: local")
        defer { estate.directory.remove() }
        estate.directory.write("manifests/files/motd.txt", "welcome\nto the lab\n")
        estate.directory.write("manifests/resources.yaml", """
        apiVersion: ballast.dev/v1
        kind: File
        metadata: { name: motd, site: box }
        spec: { path: etc/motd, source: files/motd.txt }
        ---
        apiVersion: ballast.dev/v1
        kind: File
        metadata: { name: empty, site: box }
        spec: { path: etc/empty }
        """)
        let invalid = try await estate.ballast(["validate", estate.manifests])
        #expect(invalid.exitCode == 1 && invalid.stderr.contains("File/empty@box needs spec.content or spec.source"), "\(invalid.stderr)")
        estate.directory.write("manifests/resources.yaml", """
        apiVersion: ballast.dev/v1
        kind: File
        metadata: { name: motd, site: box }
        spec: { path: etc/motd, source: files/motd.txt }
        """)
        #expect(try await estate.ballast(["apply", estate.manifests, "--auto-approve"]).exitCode == 0)
        #expect(try String(contentsOfFile: estate.siteRoot + "/etc/motd", encoding: .utf8) == "welcome\nto the lab\n")
        // A saved plan counts the source as an input: it is stale once the source changes.
        estate.directory.write("manifests/files/motd.txt", "welcome\nto the next lab\n")
        let planFile = estate.directory.file("plan.json")
        #expect(try await estate.ballast(["plan", estate.manifests, "--out", planFile]).exitCode == 0)
        estate.directory.write("manifests/files/motd.txt", "welcome\nto the new lab\n")
        let stale = try await estate.ballast(["apply", planFile])
        #expect(stale.exitCode == 1 && stale.stderr.contains("the manifests changed since the plan was made"), "\(stale.stderr)")
        let changed = try await estate.ballast(["plan", estate.manifests, "--detailed-exitcode"])
        #expect(changed.exitCode == 2 && changed.stdout.contains("        -to the lab\n") && changed.stdout.contains("        +to the new lab\n"), "\(changed.stdout)")
    }

    @Test func aFileBallastDidNotWriteIsNeverOverwritten() async throws {
        let estate = try HostEstate(transport: "transport: local")
        defer { estate.directory.remove() }
        estate.directory.write("root/etc/hosts.local", "someone else's\n")
        estate.directory.write("manifests/resources.yaml", """
        apiVersion: ballast.dev/v1
        kind: File
        metadata: { name: hosts, site: box }
        spec: { path: etc/hosts.local, content: "ours\\n" }
        """)
        let result = try await estate.ballast(["apply", estate.manifests, "--auto-approve"])
        #expect(result.exitCode == 1)
        #expect((result.stdout + result.stderr).contains("already exists and Ballast did not write it"), "\(result.stdout)\(result.stderr)")
        #expect(try String(contentsOfFile: estate.siteRoot + "/etc/hosts.local", encoding: .utf8) == "someone else's\n")
        // The same content is adopted, not refused.
        estate.directory.write("root/etc/hosts.local", "ours\n")
        #expect(try await estate.ballast(["apply", estate.manifests, "--auto-approve"]).exitCode == 0)
    }

    @Test func whatNobodyDeclaredUnderTheRootIsListedAndCanBeImported() async throws {
        let estate = try HostEstate(transport: "transport: local")
        defer { estate.directory.remove() }
        #expect(try await estate.ballast(["apply", estate.manifests, "--auto-approve"]).exitCode == 0)
        #expect(try await estate.ballast(["unmanaged", estate.manifests]).exitCode == 0, "what Ballast wrote is not sprawl")
        // Out of band: a file, an empty directory, and a file whose name is hostile.
        estate.directory.write("root/notes/todo list.txt", "buy milk\n")
        try FileManager.default.createDirectory(atPath: estate.siteRoot + "/spare", withIntermediateDirectories: true)
        estate.directory.write("root/notes/" + HostEstate.hostileName, "x")
        let found = try await estate.ballast(["unmanaged", estate.manifests, "-o", "json"])
        #expect(found.exitCode == 2, "\(found.stdout)\(found.stderr)")
        let ids = found.stdout.split(separator: "\"").map(String.init).filter { $0.hasSuffix("@box") }
        let todo = try #require(ids.first { $0.hasPrefix("File/notes-todo-list-txt-") }, "\(found.stdout)")
        #expect(ids.contains { $0.hasPrefix("Directory/spare-") })
        #expect(ids.contains { $0.hasPrefix("File/notes-it-s-touch-pwned-rm-rf-x-id-txt-") }, "\(ids)")
        #expect(!ids.contains { $0.hasPrefix("File/config@") || $0.hasPrefix("Directory/conf@") || $0.hasPrefix("Process/") }, "\(ids)")
        #expect(!found.stdout.contains("ballast-host") && !found.stdout.contains("etc-my-app"), "neither Ballast's own files nor parents of what it wrote")
        #expect(!FileManager.default.fileExists(atPath: estate.siteRoot + "/notes/pwned"))

        // Adopted: the next plan is empty; an edit of the manifest rewrites it; removing the
        // manifest deletes it.
        let target = estate.manifests + "/imported.yaml"
        let imported = try await estate.ballast(["import", todo, estate.manifests, "--to", target])
        #expect(imported.exitCode == 0, "\(imported.stderr)")
        let manifest = try String(contentsOfFile: target, encoding: .utf8)
        #expect(manifest.contains("path: notes/todo list.txt") || manifest.contains(#"path: "notes/todo list.txt""#), "\(manifest)")
        let plan = try await estate.ballast(["plan", estate.manifests, "--detailed-exitcode"])
        #expect(plan.exitCode == 0, "\(plan.stdout)\(plan.stderr)")
        try Data(manifest.replacingOccurrences(of: "buy milk", with: "buy bread").utf8).write(to: URL(fileURLWithPath: target))
        let edited = try await estate.ballast(["apply", estate.manifests, "--auto-approve"])
        #expect(edited.exitCode == 0, "\(edited.stdout)\(edited.stderr)")
        #expect(try String(contentsOfFile: estate.siteRoot + "/notes/todo list.txt", encoding: .utf8) == "buy bread\n")
        try FileManager.default.removeItem(atPath: target)
        let removed = try await estate.ballast(["apply", estate.manifests, "--auto-approve"])
        #expect(removed.exitCode == 0, "\(removed.stdout)\(removed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: estate.siteRoot + "/notes/todo list.txt"))
    }

    @Test func aPathThatCannotBeLinedUpIsObservedOnItsOwn() async throws {
        // A symbolic link whose target holds a newline: the batched passes (four resources or
        // more), one line per file, cannot line it up, and observing falls back to one at a time.
        let estate = try HostEstate(transport: "transport: local")
        defer { estate.directory.remove() }
        try FileManager.default.createDirectory(atPath: estate.siteRoot + "/odd\ndir", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: estate.siteRoot + "/link", withDestinationPath: "odd\ndir")
        estate.directory.write("manifests/resources.yaml", """
        apiVersion: ballast.dev/v1
        kind: File
        metadata: { name: through, site: box }
        spec: { path: link/x.txt, content: "through the link\\n" }
        ---
        apiVersion: ballast.dev/v1
        kind: File
        metadata: { name: plain, site: box }
        spec: { path: plain.txt, content: "plain\\n" }
        ---
        apiVersion: ballast.dev/v1
        kind: File
        metadata: { name: second, site: box }
        spec: { path: second.txt, content: "second\\n" }
        ---
        apiVersion: ballast.dev/v1
        kind: Directory
        metadata: { name: spare, site: box }
        spec: { path: spare }
        """)
        let applied = try await estate.ballast(["apply", estate.manifests, "--auto-approve"])
        #expect(applied.exitCode == 0, "\(applied.stdout)\(applied.stderr)")
        #expect(try String(contentsOfFile: estate.siteRoot + "/odd\ndir/x.txt", encoding: .utf8) == "through the link\n")
        let plan = try await estate.ballast(["plan", estate.manifests, "--detailed-exitcode"])
        #expect(plan.exitCode == 0, "both are observed as they are: \(plan.stdout)\(plan.stderr)")
        try Data("edited\n".utf8).write(to: URL(fileURLWithPath: estate.siteRoot + "/plain.txt"))
        let drifted = try await estate.ballast(["plan", estate.manifests, "--detailed-exitcode"])
        #expect(drifted.exitCode == 2 && drifted.stdout.contains("~ File/plain@box  (drifted)") && !drifted.stdout.contains("File/through"), "\(drifted.stdout)")
    }

    /// A file unchanged since Ballast wrote it is observed by its digest, its content not read;
    /// one changed on the host is read, so that the plan shows the diff; a plan of a new content
    /// shows the content last applied as what it changes from.
    @Test func onlyFilesChangedSinceTheyWereWrittenAreRead() async throws {
        let estate = try HostEstate(transport: "transport: local")
        defer { estate.directory.remove() }
        let names = ["a", "b", "c", "d", "e"]
        func manifests(_ contents: [String: String]) -> String {
            names.map { name in
                "apiVersion: ballast.dev/v1\nkind: File\nmetadata: { name: \(name), site: box }\nspec: { path: \(name).txt, content: \"\(contents[name] ?? "file \(name)")\\n\" }\n"
            }.joined(separator: "---\n")
        }
        estate.directory.write("manifests/resources.yaml", manifests([:]))
        let applied = try await estate.ballast(["apply", estate.manifests, "--auto-approve"])
        #expect(applied.exitCode == 0, "\(applied.stdout)\(applied.stderr)")

        let provider = HostProvider(stateDirectory: estate.directory.file("data"))
        let site = Site(name: "box", siteClass: .datacenter, provider: "host", config: Fields(["root": .string(estate.siteRoot), "transport": .string("local")]))
        let ids = names.map { ResourceID(kind: "File", name: $0, site: "box") }
        let unchanged = try await provider.observe(ids, site: site)
        #expect(unchanged.count == 5)
        for id in ids {
            #expect(unchanged[id]?.spec["content"] == nil, "\(id) is reported by digest: \(String(describing: unchanged[id]?.spec))")
            #expect(unchanged[id]?.outputs["sha256"] == .string(SpecDigest.digest("file \(id.name)\n")))
        }
        let plan = try await estate.ballast(["plan", estate.manifests, "--detailed-exitcode"])
        #expect(plan.exitCode == 0, "digests that match are up to date: \(plan.stdout)\(plan.stderr)")

        // Changed on the host: read, and shown as drift with its text.
        try Data("edited on the host\n".utf8).write(to: URL(fileURLWithPath: estate.siteRoot + "/b.txt"))
        let edited = try await provider.observe(ids, site: site)
        #expect(edited[ids[1]]?.spec["content"] == .string("edited on the host\n"))
        #expect(edited[ids[0]]?.spec["content"] == nil)
        let drifted = try await estate.ballast(["plan", estate.manifests, "--detailed-exitcode"])
        #expect(drifted.exitCode == 2 && drifted.stdout.contains("~ File/b@box  (drifted)") && drifted.stdout.contains("edited on the host"), "\(drifted.stdout)")

        // A new content declared: the plan shows what is there now (the content last applied).
        estate.directory.write("manifests/resources.yaml", manifests(["c": "file c, second edition"]))
        let changed = try await estate.ballast(["plan", estate.manifests, "--detailed-exitcode"])
        #expect(changed.exitCode == 2 && changed.stdout.contains("-file c\n") && changed.stdout.contains("+file c, second edition"), "\(changed.stdout)")
        let healed = try await estate.ballast(["apply", estate.manifests, "--auto-approve"])
        #expect(healed.exitCode == 0, "\(healed.stdout)\(healed.stderr)")
        #expect(try String(contentsOfFile: estate.siteRoot + "/b.txt", encoding: .utf8) == "file b\n")
        #expect(try String(contentsOfFile: estate.siteRoot + "/c.txt", encoding: .utf8) == "file c, second edition\n")
        #expect(try await estate.ballast(["plan", estate.manifests, "--detailed-exitcode"]).exitCode == 0)
    }

    @Test func aSymlinkOutOfTheRootIsRefusedOnTheHost() async throws {
        let estate = try HostEstate(transport: "transport: local")
        defer { estate.directory.remove() }
        estate.directory.write("manifests/resources.yaml", """
        apiVersion: ballast.dev/v1
        kind: File
        metadata: { name: via-link, site: box }
        spec: { path: "link/escaped", content: "x" }
        """)
        try FileManager.default.createDirectory(atPath: estate.siteRoot, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: estate.siteRoot + "/link", withDestinationPath: estate.directory.path)
        let result = try await estate.ballast(["apply", estate.manifests, "--auto-approve"])
        #expect(result.exitCode == 1)
        #expect((result.stdout + result.stderr).contains("the path leaves the site's root through a symlink"), "\(result.stdout)\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: estate.directory.path + "/escaped"))
    }

    @Test func anUnreachableHostIsReportedPerSiteAndOthersGoOn() async throws {
        let estate = try HostEstate(transport: "transport: local")
        defer { estate.directory.remove() }
        let port = try FreePort.find()
        estate.directory.write("manifests/far.yaml", """
        apiVersion: ballast.dev/v1
        kind: Site
        metadata: { name: far }
        spec:
          class: datacenter
          provider: host
          config: { root: /srv/ballast, transport: ssh, host: 127.0.0.1, port: \(port), timeoutSeconds: 5 }
        ---
        apiVersion: ballast.dev/v1
        kind: Directory
        metadata: { name: data, site: far }
        spec: { path: data }
        """)
        let result = try await estate.ballast(["apply", estate.manifests, "--auto-approve"])
        #expect(result.stdout.contains("+ File/config@box created"), "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("? Directory/data@far") && result.stdout.contains("ssh 127.0.0.1:\(port)"))
        if let pid = estate.pid { kill(pid, SIGKILL) }
    }
}
