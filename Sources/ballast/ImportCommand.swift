import ArgumentParser
import BallastCore
import BallastEngine
import BallastProviders
import BallastState
import Foundation

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Adopt one resource that exists: write its manifest and record it as managed, so the next plan is empty.",
        discussion: """
            ID is Kind/name@site, on a site the manifests (PATHS) declare. The resource is observed and \
            its settable fields written as a manifest appended to FILE (created if missing); sensitive \
            fields are written as ${env:BALLAST_IMPORT_…} placeholders, never as values. The manifests \
            with FILE must validate; then the resource is recorded in the inventory and the journal, \
            under the state lock. Nothing in the world is changed.
            """
    )

    @Argument(help: "The resource to adopt, Kind/name@site.") var id: String
    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var runtime: RuntimeOptions
    @Option(help: "The manifest file to append the resource's manifest to.") var to: String
    @Option(parsing: .unconditional, help: "How long to wait for another run's lock on the state (60s, 2m).")
    var lockTimeout: String = "0s"

    func validate() throws {
        guard ResourceID(parsing: id) != nil else { throw ValidationError("'\(id)' is not a resource id: write Kind/name@site") }
        guard manifests.gitURL == nil else { throw ValidationError("import writes a manifest file: give PATHS, not --git") }
        try Terminal.requireDuration(lockTimeout, option: "--lock-timeout")
        guard !manifests.paths.isEmpty, !manifests.paths.contains("-") else { throw ValidationError("give the manifest files or directories (PATHS) the resource's site is declared in") }
        // A manifest written outside the paths later runs read would leave the adopted resource
        // managed but undeclared: the next apply of PATHS would prune it.
        guard Self.isCovered(to, by: manifests.paths) else {
            throw ValidationError("--to \(to) is not inside the manifest paths (\(manifests.paths.joined(separator: ", "))), or is under a name starting with '.', which a directory's walk passes over: write the manifest where later plans read it, or the next apply would delete what was imported")
        }
    }

    /// Whether `file` is one of `paths`, or inside one of them that is a directory.
    static func isCovered(_ file: String, by paths: [String]) -> Bool {
        func absolute(_ path: String) -> String {
            let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
            return URL(fileURLWithPath: full).standardizedFileURL.path
        }
        let target = absolute(file)
        return paths.contains { path in
            let base = absolute(path)
            var isDirectory: ObjCBool = false
            if target == base { return true }
            // A directory's walk passes over hidden names: a file under one is not read with it.
            return FileManager.default.fileExists(atPath: base, isDirectory: &isDirectory) && isDirectory.boolValue && target.hasPrefix(base.hasSuffix("/") ? base : base + "/")
                && !ManifestDirectoryWalk.passesOver(target, walking: base)
        }
    }

    func run() async throws {
        let id = ResourceID(parsing: id)!
        let context = try Runtime(runtime)
        let paths = manifests.paths.contains(to) ? manifests.paths : manifests.paths + (FileManager.default.fileExists(atPath: to) ? [to] : [])
        let loaded = context.load(paths)
        Terminal.report(loaded.diagnostics, files: loaded.files)
        guard let desired = loaded.desired else { throw ExitCode.failure }
        guard let site = desired.sites[id.site] else { fail("site '\(id.site)' is not declared in \(paths.joined(separator: ", "))") }
        guard !site.isPull else { fail("\(id) is on a pull site: its agent manages it, not this command") }
        if desired.resources.contains(where: { $0.id == id }) { fail("\(id) is already declared in the manifests") }
        // Read only: a refusal never creates a state (a missing one manages nothing).
        if try await context.open(context.state, .readOnly, newEstate: true).entry(id) != nil { fail("\(id) is already managed by Ballast") }
        guard let provider = context.registry.provider(named: site.provider), let kind = provider.schema().kind(id.kind) else {
            fail("provider '\(site.provider)' of site '\(site.name)' does not serve the kind \(id.kind)")
        }
        let observed: Observed
        do throws(ProviderError) {
            guard let found = try await provider.observe([id], site: site)[id] else { fail("\(id) does not exist") }
            observed = found
        } catch {
            fail("cannot observe \(id): \(TerminalText.safe(error.message))")
        }
        let document: (text: String, environment: [String])
        do throws(ImportedManifest.Refusal) {
            document = try ImportedManifest.document(for: observed, kind: kind)
        } catch {
            fail(error.description)
        }

        let store = try await context.store()
        let service = try await context.applyService(store: store, creatingKey: true)
        do {
            try await adopt(id, observed: observed, document: document.text, service: service, store: store)
        } catch is Invalid {
            fail("the manifest written for \(id) does not validate; \(to) is left as it was")
        }
        Terminal.standardOutput("Imported \(id): its manifest is in \(to), and Ballast manages it now.\n")
        if !document.environment.isEmpty {
            Terminal.standardOutput("Its sensitive fields were not written: set \(document.environment.joined(separator: ", ")) to their values before planning.\n")
        }
    }

    struct Invalid: Error {}

    /// Under the state lock: appends the document to the file, checks that the manifests still
    /// validate (else puts the file back and throws ``Invalid``), then records the resource.
    private func adopt(_ id: ResourceID, observed: Observed, document: String, service: ApplyService, store: any StateStore) async throws {
        try await LockGuard.holding(service, command: "ballast import", wait: Terminal.duration(lockTimeout) ?? .zero) { _ in
            let previous = FileManager.default.contents(atPath: to)
            var text = previous.map { String(decoding: $0, as: UTF8.self) } ?? ""
            if !text.isEmpty { text += text.hasSuffix("\n") ? "---\n" : "\n---\n" }
            text += document
            try Self.write(text, to: to)
            // The manifests with the new document must validate, or the file goes back as it was.
            let check = service.planner.load(manifests.paths.contains(to) ? manifests.paths : manifests.paths + [to], readStandardInput: { [] })
            guard let checked = check.desired, let resource = checked.resources.first(where: { $0.id == id }) else {
                if let previous { try Self.write(String(decoding: previous, as: UTF8.self), to: to) } else { try? FileManager.default.removeItem(atPath: to) }
                Terminal.report(check.diagnostics, files: check.files)
                throw Invalid()
            }
            let secrets = SecretResolver(source: service.planner.secrets).resolve(checked).secrets
            let now = Date()
            var entry = InventoryEntry(
                id: id, spec: resource.spec, specDigest: AppliedInput.digest(resource, secrets: secrets, key: service.planner.planKey),
                outputs: observed.outputs, dependencies: resource.dependencies, createdAt: now, updatedAt: now)
            entry.recordedPolicy = RecordedPolicy(resource.policy)
            entry.labels = resource.labels
            entry.manifest = resource.manifest
            let sequence = try await store.recordIntent(JournalIntent(
                runID: "import-\(UUID().uuidString.prefix(8))", id: id, action: .create, spec: resource.spec,
                specDigest: entry.specDigest, at: now, approval: "ballast import: adopted as it exists"))
            try await store.recordOutcome(JournalOutcome(intentSequence: sequence, status: .adopted, attempts: 0, outputs: observed.outputs, at: now), change: .upsert(entry), events: [])
        }
    }

    /// Writes beside, then renames (``AtomicFile``): a crash never leaves half a manifest.
    /// Through a link, the file it leads to is written and the link stays; an existing file
    /// keeps its mode (a manifest kept 0600 is never left readable by others), a new one is 0644.
    static func write(_ text: String, to path: String) throws {
        let target = ManifestScope.canonical(path)
        var status = stat()
        try AtomicFile.write(Data(text.utf8), to: target, mode: stat(target, &status) == 0 ? status.st_mode & 0o7777 : 0o644)
    }

    private func fail(_ message: String) -> Never {
        Terminal.standardError("ballast: error: \(message)\n")
        Foundation.exit(1)
    }
}
