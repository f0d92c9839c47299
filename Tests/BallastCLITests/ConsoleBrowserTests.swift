import BallastCore
import BallastProviders
import BallastTesting
import Foundation
import Testing

private let root = Repository.root(from: #filePath)

/// Whether chromium and its driver are installed: the browser test runs only where they are,
/// and says so otherwise. (Checked without starting anything: a trait's condition runs on the
/// test pool, which must not wait on a browser. Installed but unable to start is a failure the
/// test reports, with the browser's own words.)
private let chromiumInstalled = ["/usr/bin/chromium", "/usr/bin/chromedriver"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }

@Suite("Status console in a browser")
struct ConsoleBrowserTests {
    @Test(.enabled(if: chromiumInstalled, "chromium or chromedriver is not installed here (apt-get install chromium chromium-driver); the console's browser test is skipped"))
    func theConsoleListsTheEstateAndShowsDriftAndHealsLive() async throws {
        // The orders database does not heal itself: its drift stays until it is put back.
        let daemon = try await Daemon(edit: { text in
            text.replacingOccurrences(of: "  preventDestroy: true        # a replace or delete of this database fails the plan",
                                      with: "  preventDestroy: true        # a replace or delete of this database fails the plan\n  selfHeal: false")
        })
        let sites = ["dc-frankfurt", "edge-berlin", "edge-madrid", "edge-paris", "eu-central", "us-east"]
        let resources = try await daemon.cli(["get", "-o", "json"]).stdout
        guard case .map(let document) = try JSONValueParser.parse(resources), case .list(let entries)? = document["resources"] else {
            Issue.record("no inventory")
            return
        }
        let ids = entries.compactMap { entry -> String? in
            guard case .map(let fields) = entry else { return nil }
            return fields["id"]?.stringValue
        }
        #expect(ids.count >= 20)
        let expected = daemon.directory.file("expected.json")
        let expectation = Value.map(Fields([
            "sites": .list(sites.map(Value.string)), "resources": .list(ids.map(Value.string)),
            "reported": .string("Database/orders@eu-central"), "reportedSize": .int(50), "healed": .string("Bucket/backups@eu-central"),
        ] as [String: Value]))
        try Data(JSONText.string(expectation).utf8).write(to: URL(fileURLWithPath: expected))
        let artifacts = root + "/.build/test-artifacts"
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        let screenshot = artifacts + "/console.png"
        let log = daemon.directory.file("browser.log")
        let check = try ChildProcess.logging(["/usr/bin/env", "python3", root + "/Tests/Browser/console_check.py", daemon.watch.baseURL, daemon.runner.executable, daemon.state, expected, screenshot], to: log)
        #expect(await check.exit(within: .seconds(180)), "the browser check hung")
        let said = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(check.exitCode == 0, "the browser check failed:\n\(said)")
        #expect(FileManager.default.fileExists(atPath: screenshot), "a screenshot is saved as a test artefact")
        await daemon.stop()
    }
}
