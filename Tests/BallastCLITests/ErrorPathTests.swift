import BallastTesting
import Foundation
import Testing

/// One sim site named `s`, ending in a document marker, for estates the tests add to.
private let simSite = """
    apiVersion: ballast.dev/v1
    kind: Site
    metadata: { name: s }
    spec: { class: cloud, provider: sim }
    ---

    """

/// The error paths people meet every day ("Trust, part 2"), each with the real CLI.
@Suite("Error paths", .serialized)
struct ErrorPathTests {
    /// What a crash leaves on standard error: none of it may appear.
    private static func crashed(_ result: CLIRunner.Result) -> Bool {
        ["Fatal error", "Stack dump", "backtrace", "SIGILL", "Illegal instruction"].contains { result.stderr.contains($0) } || result.exitCode == 132
    }

    /// Every command that writes to standard output, run with its reader already gone: the
    /// read-only ones end quietly (0 or 141, nothing on stderr), and `apply` and `destroy`
    /// finish the work and record it.
    @Test func aClosedOutputPipeEndsReadOnlyCommandsQuietly() async throws {
        let workspace = try Workspace { $0.replacingOccurrences(of: "preventDestroy: true", with: "preventDestroy: false") }
        defer { workspace.directory.remove() }
        let applied = try await workspace.run(["apply", workspace.manifests, "--auto-approve"], stdoutClosed: true)
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        #expect(!Self.crashed(applied))
        #expect(try await workspace.worldCount() == 21)
        #expect(try await workspace.unfinishedEvents() == 0)
        let plan = workspace.directory.file("plan.json")
        let commands: [[String]] = [
            ["validate", workspace.manifests], ["plan", workspace.manifests], ["plan", workspace.manifests, "-o", "json"],
            ["plan", workspace.manifests, "--out", plan], ["drift", workspace.manifests], ["get"], ["get", "-o", "json"],
            ["status"], ["events"], ["graph", workspace.manifests], ["sim", "ls"], ["providers"], ["--help"], ["plan", "--help"],
        ]
        for command in commands {
            let result = try await workspace.run(command, stdoutClosed: true)
            #expect([0, 2, 141].contains(result.exitCode), "\(command): exit \(result.exitCode)")
            #expect(!Self.crashed(result), "\(command): \(result.stderr)")
            #expect(result.stderr.isEmpty, "\(command): \(result.stderr)")
        }
        // The saved plan was written whole before the pipe mattered.
        #expect(try await workspace.run(["apply", plan, "--auto-approve"]).exitCode == 0)

        let destroyed = try await workspace.run(["destroy", workspace.manifests, "--auto-approve", "--allow-mass-delete"], stdoutClosed: true)
        #expect(destroyed.exitCode == 0, "\(destroyed.stderr)")
        #expect(!Self.crashed(destroyed))
        #expect(try await workspace.worldCount() == 0)
        #expect(try await workspace.unfinishedEvents() == 0)
        // Nothing is left locked.
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
    }
}

/// A plugin on the path that never answers its handshake, ignores SIGTERM, SIGINT and SIGHUP,
/// and records its pid and signal masks.
private struct StuckPlugin {
    let directory = TemporaryDirectory(prefix: "ballast-stuck")
    var plugins: String { directory.file("plugins") }
    var pidFile: String { directory.file("pids") }
    var masksFile: String { directory.file("masks") }

    init() {
        directory.write("plugins/ballast-provider-stuck", """
        #!/bin/sh
        echo $$ >> \(directory.file("pids"))
        # Builtins only: a shell blocks signals around each fork, so a grep could see that.
        while IFS= read -r line; do case "$line" in SigBlk:*|SigIgn:*) echo "$line";; esac; done < /proc/$$/status > \(directory.file("masks"))
        trap '' TERM INT HUP
        while :; do sleep 0.2; done

        """)
        _ = chmod(plugins + "/ballast-provider-stuck", 0o755)
    }

    var environment: [String: String] { ["BALLAST_PLUGIN_PATH": plugins, "BALLAST_PLUGIN_TIMEOUT": "1"] }

    var pids: [pid_t] {
        ((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { pid_t($0) }
    }

    /// Whether every plugin process started has gone (waiting up to two seconds for the kernel).
    func allGone() -> Bool {
        for _ in 0..<20 {
            if pids.allSatisfy({ kill($0, 0) != 0 }) { return true }
            usleep(100_000)
        }
        return false
    }
}

extension ErrorPathTests {
    @Test func aStuckPluginIsNeverStartedByCommandsThatDoNotUseIt() async throws {
        let plugin = StuckPlugin()
        defer { plugin.directory.remove() }
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        for command in [["validate", workspace.manifests], ["apply", workspace.manifests, "--auto-approve"], ["plan", workspace.manifests], ["get"], ["sim", "ls"], ["status"], ["events"]] {
            let result = try await workspace.run(command, environment: plugin.environment)
            #expect(result.exitCode == 0, "\(command): \(result.stderr)")
        }
        #expect(plugin.pids.isEmpty, "the plugin was started")
    }

    @Test func aStuckPluginCostsItsTimeoutOnceAndIsKilled() async throws {
        let plugin = StuckPlugin()
        defer { plugin.directory.remove() }
        let workspace = try Workspace(yaml: """
            apiVersion: ballast.dev/v1
            kind: Site
            metadata: { name: lab }
            spec: { class: datacenter, provider: "plugin:stuck" }

            """)
        defer { workspace.directory.remove() }
        let listed = try await workspace.run(["providers"], environment: plugin.environment)
        #expect(listed.exitCode == 0)
        #expect(listed.stdout.contains("sim:"))
        #expect(listed.stderr.contains("provider 'plugin:stuck' is not available: plugin stuck did not answer handshake and schema within 1.0 seconds"), "\(listed.stderr)")
        let validated = try await workspace.run(["validate", workspace.manifests], environment: plugin.environment)
        #expect(validated.exitCode == 1)
        #expect(validated.stderr.contains("estate.yaml:4:38: error: provider 'plugin:stuck' is not available: plugin stuck did not answer"), "\(validated.stderr)")
        // One probe per command, each ended by the timeout and a kill (a hang never returns).
        #expect(plugin.pids.count == 2)
        #expect(plugin.allGone(), "a plugin outlived its command")
        // The child started with nothing blocked and SIGPIPE at its default.
        let masks = try String(contentsOfFile: plugin.masksFile, encoding: .utf8)
        #expect(masks.contains("SigBlk:\t0000000000000000"), "\(masks)")
        let ignored = masks.split(separator: "\n").first { $0.hasPrefix("SigIgn:") }.flatMap { UInt64($0.split(separator: "\t").last ?? "", radix: 16) } ?? .max
        #expect(ignored & (1 << (UInt64(SIGPIPE) - 1)) == 0, "\(masks)")
    }

    @Test func aPluginNobodyInstalledIsNamedInTheError() async throws {
        let workspace = try Workspace(yaml: """
            apiVersion: ballast.dev/v1
            kind: Site
            metadata: { name: lab }
            spec: { class: datacenter, provider: "plugin:nosuch" }

            """)
        defer { workspace.directory.remove() }
        let validated = try await workspace.run(["validate", workspace.manifests], environment: ["BALLAST_PLUGIN_PATH": workspace.directory.path])
        #expect(validated.exitCode == 1)
        #expect(validated.stderr.contains("error: provider 'plugin:nosuch' is not available: no executable ballast-provider-nosuch in BALLAST_PLUGIN_PATH, STATE/plugins or PATH"), "\(validated.stderr)")
    }
}

extension ErrorPathTests {
    /// A mistyped --state is an error naming the path, for every command that only reads or
    /// acts on what exists, and creates nothing; `plan` in a directory made for a new state plans a new estate.
    @Test func aMissingStateIsAnErrorForCommandsThatRead() async throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let typo = workspace.directory.file("stat")
        // destroy, forget and force-unlock act on an existing state only: a typo creates nothing.
        for command in [["get"], ["status"], ["status", "-o", "json"], ["events"], ["drift", workspace.manifests], ["plan", workspace.manifests],
                        ["destroy", workspace.manifests, "--auto-approve"], ["forget", "Bucket/assets@us-east"], ["force-unlock", "5F0C", "--force"]] {
            let result = try await workspace.runner.run(command + ["--state", typo])
            #expect(result.exitCode == 1, "\(command): \(result.stdout)")
            #expect(result.stderr.contains("ballast: error: there is no state at \(typo)/state.db"), "\(command): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(command)")
        }
        #expect(!FileManager.default.fileExists(atPath: typo), "a read-only command created the state")
        try FileManager.default.createDirectory(atPath: workspace.state, withIntermediateDirectories: true)
        let planned = try await workspace.run(["plan", workspace.manifests])
        #expect(planned.exitCode == 0, "\(planned.stderr)")
        #expect(planned.stdout.contains("Plan: 21 to add"), "\(planned.stdout)")
        // (The sim world, which lives beside the state, may make its directory.)
        #expect(!FileManager.default.fileExists(atPath: workspace.state + "/state.db"), "plan created the state")
        #expect(!FileManager.default.fileExists(atPath: workspace.state + "/plan.key"), "plan created the key")
    }

    /// A manifest subdirectory the user cannot read stops the run: skipped (as Foundation's
    /// directory enumerator did, without a word), its resources read as removed and a plan
    /// deleted them. A link to a directory is not followed, and is named.
    @Test func anUnreadableManifestDirectoryStopsTheRun() async throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
        // The us-east resources move into a subdirectory nobody but its owner may read.
        let hidden = workspace.manifests + "/private"
        try FileManager.default.createDirectory(atPath: hidden, withIntermediateDirectories: false)
        try FileManager.default.moveItem(atPath: workspace.manifests + "/us-east.yaml", toPath: hidden + "/us-east.yaml")
        #expect(symlink(hidden, workspace.manifests + "/linked") == 0)
        var launcher: [String] = []
        var runner = workspace.runner
        if getuid() == 0 {
            // Root reads anywhere: run as nobody, with a copy of the binary nobody can reach.
            launcher = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
            runner.executable = workspace.directory.file("ballast")
            for top in [workspace.directory.path, workspace.manifests, workspace.state] {
                _ = chmod(top, 0o777)
                for file in FileManager.default.subpaths(atPath: top) ?? [] {
                    var isDirectory: ObjCBool = false
                    _ = FileManager.default.fileExists(atPath: top + "/" + file, isDirectory: &isDirectory)
                    _ = chmod(top + "/" + file, isDirectory.boolValue ? 0o777 : 0o666)
                }
            }
            _ = chown(hidden, 0, 0)
            try FileManager.default.copyItem(atPath: workspace.runner.executable, toPath: runner.executable)
            _ = chmod(runner.executable, 0o755)
        }
        _ = chmod(hidden, getuid() == 0 ? 0o700 : 0o000)
        defer { _ = chmod(hidden, 0o755) }
        let result = try await runner.run(["plan", workspace.manifests, "--state", workspace.state, "--detailed-exitcode"], launcher: launcher)
        #expect(result.exitCode == 1, "\(result.stdout)")
        #expect(result.stderr.contains("ballast: error: \(hidden): cannot be read: permission denied; the manifests in it would read as removed"), "\(result.stderr)")
        #expect(result.stderr.contains("ballast: warning: \(workspace.manifests)/linked: a link to a directory, not followed"), "\(result.stderr)")
        #expect(!result.stdout.contains("no longer declared"), "\(result.stdout)")
    }

    /// Another user's state, or a read-only mount: the commands that read still work.
    @Test func aReadOnlyStateDirectoryCanBeRead() async throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
        var launcher: [String] = []
        var runner = workspace.runner
        if getuid() == 0 {
            // Root writes anywhere: read as nobody instead, who may read but not write here,
            // with a copy of the binary nobody can reach (the checkout may be under /root).
            launcher = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
            _ = chmod(workspace.directory.path, 0o755)
            runner.executable = workspace.directory.file("ballast")
            try FileManager.default.copyItem(atPath: workspace.runner.executable, toPath: runner.executable)
            _ = chmod(runner.executable, 0o755)
            for top in [workspace.manifests, workspace.state] {
                _ = chmod(top, 0o755)
                for file in FileManager.default.subpaths(atPath: top) ?? [] {
                    var isDirectory: ObjCBool = false
                    _ = FileManager.default.fileExists(atPath: top + "/" + file, isDirectory: &isDirectory)
                    _ = chmod(top + "/" + file, isDirectory.boolValue ? 0o755 : 0o644)
                }
            }
        } else {
            _ = chmod(workspace.state, 0o555)
        }
        defer { _ = chmod(workspace.state, 0o755) }
        let before = try FileManager.default.contentsOfDirectory(atPath: workspace.state).sorted()
        // drift answers 2: the example's observe-only legacy database does not exist.
        for (command, code) in [(["get"], 0), (["status"], 0), (["events"], 0), (["plan", workspace.manifests, "--detailed-exitcode"], 0), (["drift", workspace.manifests], 2)] {
            let result = try await runner.run(command + ["--state", workspace.state], launcher: launcher)
            #expect(result.exitCode == Int32(code), "\(command): \(result.stdout) \(result.stderr)")
            #expect(!result.stderr.contains("error"), "\(command): \(result.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: workspace.state).sorted() == before)
    }

    @Test func getNamesUnknownIdsAndRefusesMalformedOnes() async throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
        let malformed = try await workspace.run(["get", "not-an-id"])
        #expect(malformed.exitCode == 64)
        #expect(malformed.stderr.contains("'not-an-id' is not a resource id: write Kind/name@site"), "\(malformed.stderr)")
        let unknown = try await workspace.run(["get", "Bucket/asets@us-east"])
        #expect(unknown.exitCode == 1)
        #expect(unknown.stderr.contains("ballast: error: this state manages no Bucket/asets@us-east; did you mean 'Bucket/assets@us-east'?"), "\(unknown.stderr)")
        let known = try await workspace.run(["get", "Bucket/assets@us-east"])
        #expect(known.exitCode == 0)
        #expect(known.stdout.hasPrefix("Bucket/assets@us-east  Ready"), "\(known.stdout)")
    }

    @Test func statusAnswersInJSONAndFailsFastOnARefusedServer() async throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
        let json = try await JSONSerialization.jsonObject(with: Data(try workspace.run(["status", "-o", "json"]).stdout.utf8)) as? [String: Any]
        #expect(json?["resources"] as? Int == 21)
        #expect((json?["byStatus"] as? [String: Int])?["Ready"] == 21)
        #expect(json?["lock"] is NSNull)
        #expect(((json?["bySite"] as? [String: Any])?["us-east"] as? [String: Int])?["failed"] == 0)

        // A port nobody listens on: refused at once, in words.
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        close(socket)
        let refused = try await workspace.run(["status", "--server", "http://127.0.0.1:\(port)", "--timeout", "30s"])
        #expect(refused.exitCode == 1)
        #expect(refused.stderr == "ballast: error: cannot read http://127.0.0.1:\(port)/v1/sites: connection refused (is 'ballast watch --listen' running there?)\n", "\(refused.stderr)")
        let badTimeout = try await workspace.run(["status", "--server", "http://127.0.0.1:\(port)", "--timeout", "soon"])
        #expect(badTimeout.exitCode == 64)
        #expect(badTimeout.stderr.contains("--timeout takes a duration of at least 1ms such as 30s, 2m or 500ms (got 'soon')"), "\(badTimeout.stderr)")
    }
}

extension ErrorPathTests {
    @Test func aMistypedCommandGetsTheNearestOne() async throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let top = try await workspace.runner.run(["plna", workspace.manifests])
        #expect(top.exitCode == 64)
        #expect(top.stderr.hasPrefix("ballast: error: unknown command 'plna' for 'ballast'; did you mean 'plan'?"), "\(top.stderr)")
        let nested = try await workspace.runner.run(["sim", "lss"])
        #expect(nested.exitCode == 64)
        #expect(nested.stderr.hasPrefix("ballast: error: unknown command 'lss' for 'ballast sim'; did you mean 'ls'?"), "\(nested.stderr)")
        #expect(try await workspace.runner.run(["help", "plan"]).exitCode == 0)
        #expect(try await workspace.runner.run(["--version"]).exitCode == 0)
    }

    /// Each option's mistakes are named, with the value given and the form expected.
    @Test(arguments: [
        (["apply", "m", "--parallelism", "-1"], "--parallelism takes a whole number from 1 to 1000 (got -1)"),
        (["apply", "m", "--parallelism", "0"], "--parallelism takes a whole number from 1 to 1000 (got 0)"),
        (["destroy", "m", "--lock-timeout", "-5s"], "--lock-timeout takes a duration such as 30s, 2m or 500ms (got '-5s')"),
        (["plan", "m", "--observe-timeout", "-3"], "--observe-timeout takes a whole number from 1 to 3600 (got -3)"),
        (["watch", "m", "--workers", "-2"], "--workers takes a whole number from 1 to 1000 (got -2)"),
        (["watch", "m", "--resync", "0.5s"], "--resync takes a duration of at least 1s such as 30s or 2m (got '0.5s')"),
        (["watch", "m", "--rate-limit", "nan"], "--rate-limit takes a number of reconciles per second above 0 and up to 1000000 (got nan)"),
        (["watch", "m", "--prune-delay", "1e400s"], "--prune-delay takes a duration such as 30s, 2m or 500ms (got '1e400s')"),
        (["forget", "Bucket/a@s", "--lock-timeout", "soon"], "--lock-timeout takes a duration such as 30s, 2m or 500ms (got 'soon')"),
        (["events", "--since", "-1h"], "--since takes an ISO 8601 date-time"),
        (["get", "Bucket"], "'Bucket' is not a resource id: write Kind/name@site"),
    ])
    func anOptionMistakeSaysWhatIsWrong(arguments: [String], message: String) async throws {
        let runner = CLIRunner(workingDirectory: Repository.root(from: #filePath))
        let result = try await runner.run(arguments + ["--state", "/nonexistent-ballast-state"])
        #expect(result.exitCode == 64, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
    }

    @Test func anOutageOnAnUnknownSiteIsAnError() async throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
        let unknown = try await workspace.run(["sim", "outage", "us-eats", "on"])
        #expect(unknown.exitCode == 1)
        #expect(unknown.stderr.contains("ballast: error: no site 'us-eats' in the sim world, the state or the manifests; did you mean 'us-east'? (for a site nothing has been applied to yet, add --manifests PATH)"), "\(unknown.stderr)")
        #expect(try await workspace.run(["sim", "outage", "us-east", "on"]).exitCode == 0)
        #expect(try await workspace.run(["sim", "outage", "us-east", "off"]).exitCode == 0)
    }
}

extension ErrorPathTests {
    /// A rotated secret is a change of input: planned as such, and not drift; a field changed
    /// in the world is still drift.
    @Test func aRotatedSecretIsAChangeOfInputNotDrift() async throws {
        let workspace = try Workspace(yaml: simSite + """
            apiVersion: ballast.dev/v1
            kind: Database
            metadata: { name: orders, site: s }
            spec: { engine: postgres, sizeGb: 10, password: "${env:ORDERS_PASSWORD}" }

            """)
        defer { workspace.directory.remove() }
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"], environment: ["ORDERS_PASSWORD": "first-secret"]).exitCode == 0)
        let rotated = ["ORDERS_PASSWORD": "second-secret"]
        let drift = try await workspace.run(["drift", workspace.manifests], environment: rotated)
        #expect(drift.exitCode == 0, "\(drift.stdout)\(drift.stderr)")
        #expect(drift.stdout.contains("No drift"), "\(drift.stdout)")
        let plan = try await workspace.run(["plan", workspace.manifests, "-o", "json"], environment: rotated)
        #expect(plan.stdout.contains("\"reason\" : \"secret-changed\"") || plan.stdout.contains("\"reason\": \"secret-changed\""), "\(plan.stdout)")
        #expect(!plan.stdout.contains("second-secret") && !plan.stdout.contains("first-secret"))
        let text = try await workspace.run(["plan", workspace.manifests], environment: rotated)
        #expect(text.stdout.contains("a secret it uses changed"), "\(text.stdout)")
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"], environment: rotated).exitCode == 0)
        #expect(try await workspace.run(["drift", workspace.manifests], environment: rotated).exitCode == 0)
        // A field changed in the world is still drift.
        #expect(try await workspace.run(["sim", "drift", "Database/orders@s", "sizeGb=20"]).exitCode == 0)
        let drifted = try await workspace.run(["drift", workspace.manifests], environment: rotated)
        #expect(drifted.exitCode == 2, "\(drifted.stdout)\(drifted.stderr)")
    }
}

extension ErrorPathTests {
    /// Escape sequences and bidirectional controls from a manifest reach neither a plan, nor a
    /// diagnostic, nor JSON as they are.
    @Test func textFromManifestsIsEscapedEverywhereItIsPrinted() async throws {
        let workspace = try Workspace(yaml: simSite + """
            apiVersion: ballast.dev/v1
            kind: Bucket
            metadata: { name: b, site: s }
            spec: { tags: { note: "\\e]0;pwned\\a\\e[2J", owner: "safe\\u202Eexe.txt" } }

            """)
        defer { workspace.directory.remove() }
        try FileManager.default.createDirectory(atPath: workspace.state, withIntermediateDirectories: true)
        let plan = try await workspace.run(["plan", workspace.manifests])
        #expect(plan.exitCode == 0, "\(plan.stderr)")
        // Values are shown quoted, with JSON's escapes.
        #expect(plan.stdout.contains(#""\u001b]0;pwned\u0007\u001b[2J""#), "\(plan.stdout)")
        #expect(plan.stdout.contains(#""safe\u202eexe.txt""#), "\(plan.stdout)")
        let json = try await workspace.run(["plan", workspace.manifests, "-o", "json"])
        #expect(json.stdout.contains("safe\\u202eexe.txt"), "\(json.stdout)")
        for output in [plan.stdout, plan.stderr, json.stdout] {
            #expect(!output.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{202E}" || $0 == "\u{7}" })
        }
        // A diagnostic quoting the text: an unknown field whose name carries the controls.
        workspace.directory.write("manifests/bad.yaml", """
            apiVersion: ballast.dev/v1
            kind: Bucket
            metadata: { name: c, site: s }
            spec: { "ver\\e[31msioning\\u202E": true }

            """)
        let invalid = try await workspace.run(["validate", workspace.manifests])
        #expect(invalid.exitCode == 1)
        #expect(invalid.stderr.contains("unknown field 'ver\\u{1B}[31msioning\\u{202E}'"), "\(invalid.stderr)")
        #expect(!invalid.stderr.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{202E}" })
    }
}

extension ErrorPathTests {
    /// Errors about a file a field loads point at that field, not at the document.
    @Test func fileFieldErrorsPointAtTheField() async throws {
        let workspace = try Workspace(yaml: """
            apiVersion: ballast.dev/v1
            kind: Site
            metadata: { name: box }
            spec: { class: datacenter, provider: host, config: { root: /srv/ballast-test } }
            ---
            apiVersion: ballast.dev/v1
            kind: File
            metadata: { name: a, site: box }
            spec:
              path: a.txt
              source: nope.txt
            ---
            apiVersion: ballast.dev/v1
            kind: File
            metadata: { name: b, site: box }
            spec:
              path: b.txt
              content: hi
              source: estate.yaml

            """)
        defer { workspace.directory.remove() }
        let result = try await workspace.run(["validate", workspace.manifests])
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("estate.yaml:11:11: error: File/a@box spec.source: 'nope.txt' cannot be read"), "\(result.stderr)")
        #expect(result.stderr.contains("estate.yaml:19:11: error: File/b@box sets both spec.source and spec.content; use one"), "\(result.stderr)")
    }
}

extension ErrorPathTests {
    /// A delete refused by policy.preventDestroy points at that policy, in plan and in destroy.
    @Test func aRefusalByPreventDestroyPointsAtThePolicy() async throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"]).exitCode == 0)
        let destroy = try await workspace.run(["destroy", workspace.manifests, "--auto-approve", "--allow-mass-delete"])
        #expect(destroy.exitCode == 1)
        #expect(destroy.stderr.contains("eu-central.yaml:38:19: error: Database/orders@eu-central has policy.preventDestroy"), "\(destroy.stderr)")
        // A change that forces a replace of the protected database.
        let path = workspace.manifests + "/eu-central.yaml"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "engine: postgres", with: "engine: mysql").utf8).write(to: URL(fileURLWithPath: path))
        let plan = try await workspace.run(["plan", workspace.manifests])
        #expect(plan.exitCode == 1)
        #expect(plan.stderr.contains("eu-central.yaml:38:19: error: Database/orders@eu-central must be replaced"), "\(plan.stderr)")
    }
}
