import BallastCore
import BallastTesting
import Foundation
import Testing

/// Sprawl on the sim provider: what runs that no manifest declares, and adopting it.
@Suite("Unmanaged resources and import")
struct SprawlTests {
    static let estate = """
    apiVersion: ballast.dev/v1
    kind: Site
    metadata: { name: cloud-a }
    spec: { class: cloud, provider: sim }
    ---
    apiVersion: ballast.dev/v1
    kind: PriceBook
    metadata: { name: prices }
    spec:
      currency: EUR
      models:
        - provider: sim
          kind: Database
          terms: [{ name: storage, quantity: { field: sizeGb }, perMonth: 0.5 }]
    ---
    apiVersion: ballast.dev/v1
    kind: Database
    metadata: { name: kept, site: cloud-a }
    spec: { engine: postgres, sizeGb: 10 }

    """

    static let forgotten = """
    ---
    apiVersion: ballast.dev/v1
    kind: Database
    metadata: { name: billing, site: cloud-a }
    spec:
      engine: mysql
      sizeGb: 30
      password: ${env:DB_PASSWORD}
      version: "8.0 ${literally}"

    """

    @Test func unmanagedThenImportLeavesAnEmptyPlan() async throws {
        let workspace = try Workspace(yaml: Self.estate + Self.forgotten.replacingOccurrences(of: "${literally}", with: "$${literally}"))
        defer { workspace.directory.remove() }
        let secret = ["DB_PASSWORD": "hunter2-very-secret"]
        #expect(try await workspace.run(["apply", workspace.manifests, "--auto-approve"], environment: secret).exitCode == 0)
        #expect(try await workspace.run(["unmanaged", workspace.manifests]).exitCode == 0, "everything is declared")

        // Forgotten and no longer declared: it runs, and nobody manages it.
        #expect(try await workspace.run(["forget", "Database/billing@cloud-a"]).exitCode == 0)
        workspace.directory.write("manifests/estate.yaml", Self.estate)
        let found = try await workspace.run(["unmanaged", workspace.manifests])
        #expect(found.exitCode == 2, "\(found.stderr)")
        #expect(found.stdout.contains("  ? Database/billing@cloud-a  €15.00/mo\n"), "\(found.stdout)")
        #expect(found.stdout.contains("1 unmanaged resource, €15.00/mo."), "\(found.stdout)")

        // Written where later plans would not read it, the import would be pruned: refused.
        let outside = try await workspace.run(["import", "Database/billing@cloud-a", workspace.manifests, "--to", workspace.directory.file("elsewhere.yaml")])
        #expect(outside.exitCode == 64 && outside.stderr.contains("is not inside the manifest paths"), "\(outside.stderr)")
        #expect(!FileManager.default.fileExists(atPath: workspace.directory.file("elsewhere.yaml")))
        // So is a hidden name in the directory given: its walk passes over it.
        let hidden = try await workspace.run(["import", "Database/billing@cloud-a", workspace.manifests, "--to", workspace.manifests + "/.imported.yaml"])
        #expect(hidden.exitCode == 64 && hidden.stderr.contains("is not inside the manifest paths"), "\(hidden.stderr)")
        // Imported through a link into a file kept private: the link stays, and so does the mode.
        let target = workspace.manifests + "/imported.yaml"
        let shared = workspace.directory.file("shared/imported.yaml")
        workspace.directory.write("shared/imported.yaml", "# imported resources\n")
        #expect(chmod(shared, 0o600) == 0)
        try FileManager.default.createSymbolicLink(atPath: target, withDestinationPath: shared)
        let imported = try await workspace.run(["import", "Database/billing@cloud-a", workspace.manifests, "--to", target])
        #expect(imported.exitCode == 0, "\(imported.stderr)")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: target)) == shared, "the link stays a link")
        #expect((try FileManager.default.attributesOfItem(atPath: shared)[.posixPermissions] as? Int) == 0o600)
        #expect(try String(contentsOfFile: shared, encoding: .utf8).hasPrefix("# imported resources\n---\n"))
        #expect(imported.stdout.contains("set BALLAST_IMPORT_DATABASE_BILLING_PASSWORD"))
        let manifest = try String(contentsOfFile: target, encoding: .utf8)
        #expect(!manifest.contains("hunter2"), "a sensitive value is never written")
        #expect(manifest.contains(#"password: "${env:BALLAST_IMPORT_DATABASE_BILLING_PASSWORD}""#), "\(manifest)")
        #expect(manifest.contains(#"version: "8.0 $${literally}""#), "text that looks like a reference stays text")

        let plan = try await workspace.run(["plan", workspace.manifests, "--detailed-exitcode"], environment: ["BALLAST_IMPORT_DATABASE_BILLING_PASSWORD": "hunter2-very-secret"])
        #expect(plan.exitCode == 0, "\(plan.stdout)\(plan.stderr)")
        #expect(try await workspace.run(["unmanaged", workspace.manifests]).exitCode == 0)
        #expect(try await workspace.run(["get", "Database/billing@cloud-a"]).exitCode == 0, "managed now")

        // Importing it again, or something declared, or something that does not exist, is refused.
        let again = try await workspace.run(["import", "Database/billing@cloud-a", workspace.manifests, "--to", target])
        #expect(again.exitCode == 1 && again.stderr.contains("already declared"), "\(again.stderr)")
        let missing = try await workspace.run(["import", "Database/nothing@cloud-a", workspace.manifests, "--to", target])
        #expect(missing.exitCode == 1 && missing.stderr.contains("does not exist"), "\(missing.stderr)")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == manifest, "a refused import leaves the file alone")
        // Nor does it create a state that was not there.
        let fresh = workspace.directory.file("fresh-state")
        let refused = try await workspace.runner.run(["import", "Database/nothing@cloud-a", workspace.manifests, "--to", target, "--state", fresh])
        #expect(refused.exitCode == 1 && refused.stderr.contains("does not exist"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fresh + "/state.db"), "a refused import created a state")
    }
}
