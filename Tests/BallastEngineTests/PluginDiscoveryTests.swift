import BallastPlugins
import BallastProviders
import BallastTesting
import Foundation
import Logging
import Testing

/// A plugin that failed its probe is asked again after a while: a daemon picks up a plugin
/// that was fixed, without a restart.
@Suite("plugin discovery")
struct PluginDiscoveryTests {
    @Test func aFailedProbeIsRetriedOnlyAfterItsInterval() throws {
        let directory = TemporaryDirectory(prefix: "ballast-discovery")
        defer { directory.remove() }
        let ready = directory.file("ready")
        directory.write("plugins/ballast-provider-flaky", """
            #!/bin/sh
            [ -e \(ready) ] || exit 1
            echo '{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":1}}'
            echo '{"jsonrpc":"2.0","id":2,"result":{"kinds":[]}}'
            cat > /dev/null

            """)
        _ = chmod(directory.file("plugins/ballast-provider-flaky"), 0o755)
        let logger = Logger(label: "test")
        let patient = PluginDiscovery(configured: [directory.file("plugins")], stateDirectory: directory.path, path: nil, probeTimeout: .seconds(5), logger: logger)
        let eager = PluginDiscovery(configured: [directory.file("plugins")], stateDirectory: directory.path, path: nil, probeTimeout: .seconds(5), retryFailedProbeAfter: .zero, logger: logger)
        for discovery in [patient, eager] {
            #expect(discovery.provider(named: "plugin:flaky") == nil)
            #expect(discovery.unavailability(of: "plugin:flaky")?.contains("exited before answering") == true)
        }
        _ = FileManager.default.createFile(atPath: ready, contents: nil)
        #expect(patient.provider(named: "plugin:flaky") == nil, "a failure is believed for a minute")
        #expect(eager.provider(named: "plugin:flaky")?.name == "plugin:flaky")
        #expect(eager.unavailability(of: "plugin:flaky") == nil)
    }

    /// Writing to a child that has gone is a false, never SIGPIPE (this test process keeps the
    /// default action, which would kill it).
    @Test func writingToAChildThatHasExitedDoesNotRaiseSIGPIPE() throws {
        let child = try ChildProcess("/bin/true", input: .pipe)
        child.wait()
        #expect(child.writeInput(Array(repeating: UInt8(ascii: "x"), count: 1 << 20)) == false)
        close(child.input!)
    }

    /// A child given a working directory starts there, and one given a base environment sees
    /// that environment (with `environment` on top) and nothing of this process's.
    @Test func aChildStartsInItsDirectoryWithItsOwnEnvironment() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        func output(_ command: String, _ arguments: [String] = []) throws -> String {
            let child = try ChildProcess(command, arguments, environment: ["ADDED": "added"], baseEnvironment: ["BASE": "base"], workingDirectory: directory.path, output: .pipe)
            defer { close(child.output!) }
            let text = String(decoding: ProcessRunner.readAll(child.output!), as: UTF8.self)
            #expect(ChildProcess.exitCode(child.wait() ?? -1) == 0)
            return text
        }
        #expect(try output("/bin/pwd", ["-P"]) == URL(fileURLWithPath: directory.path).resolvingSymlinksInPath().path + "\n")
        #expect(try output("/usr/bin/env") == "ADDED=added\nBASE=base\n")
    }
}
