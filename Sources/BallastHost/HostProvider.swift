import BallastCore
import BallastProviders
import Foundation

/// The `host` provider: files, directories and supervised processes on this machine or over
/// SSH. See ``HostSchema`` for the kinds and the safety rules.
public struct HostProvider: Provider {
    public let name = "host"
    let controlDirectory: String
    /// Coalesces concurrent writes to one site into one script.
    let writes = HostWriteBatcher()
    /// The state directory, absolute: a relative local root is under it.
    let dataDirectory: String

    /// `stateDirectory` holds the SSH control sockets (`STATE/ssh`), and the roots of local
    /// sites whose `root` is relative.
    public init(stateDirectory: String) {
        let absolute = stateDirectory.hasPrefix("/") ? stateDirectory : FileManager.default.currentDirectoryPath + "/" + stateDirectory
        dataDirectory = (absolute as NSString).standardizingPath
        controlDirectory = dataDirectory + "/ssh"
    }

    public func schema() -> ProviderSchema { HostSchema.schema }

    struct Context {
        let transport: any HostTransport
        let root: String
        let timeout: Duration
    }

    func context(_ site: Site) throws(ProviderError) -> Context {
        guard let root = site.config["root"]?.stringValue, !root.isEmpty else {
            throw ProviderError(.invalid, "site \(site.name): spec.config.root is required")
        }
        let timeout = Duration.seconds(max(1, site.config["timeoutSeconds"]?.intValue ?? 30))
        switch site.config["transport"]?.stringValue ?? "local" {
        case "local":
            // Like every data path in site config, a relative root is under the state directory,
            // whatever directory the command runs from.
            let absolute = root.hasPrefix("/") ? root : dataDirectory + "/" + root
            return Context(transport: LocalTransport(), root: PathConfinement.normalize(absolute), timeout: timeout)
        case "ssh":
            guard let host = site.config["host"]?.stringValue, !host.isEmpty, !host.hasPrefix("-") else {
                throw ProviderError(.invalid, "site \(site.name): spec.config.host is required for transport ssh")
            }
            guard root.hasPrefix("/") else { throw ProviderError(.invalid, "site \(site.name): spec.config.root must be absolute for transport ssh") }
            let transport = SSHTransport(
                host: host, port: site.config["port"]?.intValue ?? 22, user: site.config["user"]?.stringValue,
                identityFile: site.config["identityFile"]?.stringValue, knownHostsFile: site.config["knownHostsFile"]?.stringValue,
                controlDirectory: controlDirectory)
            return Context(transport: transport, root: PathConfinement.normalize(root), timeout: timeout)
        case let other:
            throw ProviderError(.invalid, "site \(site.name): unknown transport '\(other)' (local or ssh)")
        }
    }

    public func observe(_ ids: [ResourceID], site: Site) async throws(ProviderError) -> [ResourceID: Observed] {
        let context = try context(site)
        // Observe gets ids, not specs: the path of each file and directory Ballast wrote is
        // kept in ROOT/.ballast-host/KIND.NAME.path (as written) and .target (resolved).
        var processes = ""
        var files: [Int: ResourceID] = [:]
        var targets: [Int: ResourceID] = [:]
        for (index, id) in ids.enumerated() {
            switch id.kind {
            case "File", "Directory":
                files[index] = id
            case "Process":
                targets[index] = id
                processes += HostScripts.observeProcess(index: index, name: id.name)
            default:
                continue
            }
        }
        // One script, one round trip: the processes, then every file and directory at once.
        // A few files (the read-back after a write) cost fewer processes one at a time.
        let prelude = HostScripts.prelude(root: context.root)
        let batched = files.count >= HostBatchObserve.threshold
        var script = prelude + processes
        if batched {
            script += HostBatchObserve.script(files)
        } else {
            for (index, id) in files { script += HostScripts.observeIndexed(index: index, id: id) }
            targets.merge(files) { first, _ in first }
        }
        let result = try await context.transport.run(script, timeout: context.timeout)
        var observed: [ResourceID: Observed]
        if !batched {
            guard result.status == 0 else { throw ProviderError(.failed, "observe on \(site.name) failed: \(result.errors.trimmingCharacters(in: .whitespacesAndNewlines))") }
            observed = Self.parse(result.output, targets: targets)
        } else if result.status == 0, let batch = HostBatchObserve.parse(Self.after(result.output, marker: "#keep"), targets: files) {
            observed = Self.parse(Self.before(result.output, marker: "#keep"), targets: targets)
            observed.merge(batch) { first, _ in first }
        } else if result.status == 0 || result.status == HostBatchObserve.misaligned {
            // A file changed between the passes (or a path cannot be lined up): each on its own.
            var script = prelude + processes
            for (index, id) in files { script += HostScripts.observeIndexed(index: index, id: id) }
            observed = try await run(script, targets: targets.merging(files) { first, _ in first }, context: context, site: site)
        } else {
            throw ProviderError(.failed, "observe on \(site.name) failed: \(result.errors.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        // Files and directories adopted by `import` and never written since have no index:
        // they are found under the name listing gave them.
        let adopted = ids.filter { ($0.kind == "File" || $0.kind == "Directory") && observed[$0] == nil && HostListing.isGenerated($0.name) }
        guard !adopted.isEmpty else { return observed }
        let paths = try await adoptedPaths(adopted, site: site)
        var fallback = HostScripts.prelude(root: context.root)
        var fallbackTargets: [Int: ResourceID] = [:]
        for (index, id) in adopted.enumerated() {
            guard let relative = paths[id] else { continue }
            fallbackTargets[index] = id
            fallback += HostScripts.observePath(index: index, kind: id.kind, relative: relative)
        }
        guard !fallbackTargets.isEmpty else { return observed }
        observed.merge(try await run(fallback, targets: fallbackTargets, context: context, site: site)) { first, _ in first }
        return observed
    }

    private func run(_ script: String, targets: [Int: ResourceID], context: Context, site: Site) async throws(ProviderError) -> [ResourceID: Observed] {
        let result = try await context.transport.run(script, timeout: context.timeout)
        guard result.status == 0 else { throw ProviderError(.failed, "observe on \(site.name) failed: \(result.errors.trimmingCharacters(in: .whitespacesAndNewlines))") }
        return Self.parse(result.output, targets: targets)
    }

    /// The per-resource lines (``HostScripts``'s `INDEX|KIND|…`) read back.
    static func parse(_ output: String, targets: [Int: ResourceID]) -> [ResourceID: Observed] {
        var observed: [ResourceID: Observed] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 3, let index = Int(parts[0]), let id = targets[index] else { continue }
            if let found = HostScripts.parse(parts, id: id) { observed[id] = found }
        }
        return observed
    }

    /// The output before the line `marker` (all of it when there is none), and from it on.
    static func before(_ output: String, marker: String) -> String {
        output.range(of: "\n" + marker + "\n").map { String(output[..<$0.lowerBound]) } ?? (output.hasPrefix(marker + "\n") ? "" : output)
    }

    static func after(_ output: String, marker: String) -> String {
        if output.hasPrefix(marker + "\n") { return output }
        return output.range(of: "\n" + marker + "\n").map { String(output[output.index(after: $0.lowerBound)...]) } ?? ""
    }

    /// Where the adopted files and directories `ids` lie, relative to the root, as listing
    /// finds them now.
    private func adoptedPaths(_ ids: [ResourceID], site: Site) async throws(ProviderError) -> [ResourceID: String] {
        let wanted = Set(ids)
        var paths: [ResourceID: String] = [:]
        for observed in try await list(site: site) ?? [] where wanted.contains(observed.id) {
            paths[observed.id] = observed.spec["path"]?.stringValue
        }
        return paths
    }

    public func list(site: Site) async throws(ProviderError) -> [Observed]? {
        let context = try context(site)
        let result = try await context.transport.run(HostScripts.prelude(root: context.root) + HostScripts.list(), timeout: context.timeout)
        guard result.status == 0 else { throw ProviderError(.failed, "listing \(site.name) failed: \(result.errors.trimmingCharacters(in: .whitespacesAndNewlines))") }
        return HostListing.parse(result.output, site: site.name)
    }

    public func create(_ resource: ResolvedResource, site: Site) async throws(ProviderError) -> Observed {
        try await apply(resource, site: site)
    }

    public func update(_ resource: ResolvedResource, current: Observed, site: Site) async throws(ProviderError) -> Observed {
        try await apply(resource, site: site, managed: true)
    }

    private func apply(_ resource: ResolvedResource, site: Site, managed: Bool = false) async throws(ProviderError) -> Observed {
        let context = try context(site)
        let id = resource.id
        // Written and read back in the same script: one round trip, and no second shell.
        let readBack = id.kind == "Process" ? HostScripts.observeProcess(index: 0, name: id.name) : HostScripts.observeIndexed(index: 0, id: id)
        let prelude = HostScripts.prelude(root: context.root)
        let body = try HostScripts.put(resource, root: context.root, managed: managed) + readBack
        let result: HostResult
        if id.kind == "Process" {
            // A process start waits for the process to stay up: it goes alone, so that it
            // holds up no file.
            result = try await context.transport.run(prelude + body, timeout: context.timeout)
        } else {
            let transport = context.transport, timeout = context.timeout
            result = try await writes.write(body, key: Self.batchKey(site), prelude: prelude) { script, count throws(ProviderError) in
                try await transport.run(script, timeout: Self.timeout(timeout, writes: count))
            }
        }
        try Self.check(result, id)
        guard let observed = Self.parse(result.output, targets: [0: id])[id] else {
            throw ProviderError(.conflict, "\(id) was written but cannot be read back", id: id)
        }
        return observed
    }

    /// Writes share a script only when they go to the same site with the same configuration
    /// (root, transport, timeout): the script's prelude and transport are the first write's.
    static func batchKey(_ site: Site) -> String {
        site.name + "\u{0}" + JSONText.string(.map(site.config))
    }

    /// A script of several writes gets a tenth of the site's timeout more per write after the
    /// first, up to ten times the timeout: a host that does not answer is still found out, and
    /// a large batch on a slow link is not cut short.
    static func timeout(_ timeout: Duration, writes: Int) -> Duration {
        timeout + timeout * (Double(min(writes, 91) - 1) / 10)
    }

    public func delete(_ id: ResourceID, site: Site) async throws(ProviderError) {
        let context = try context(site)
        var script = HostScripts.prelude(root: context.root) + HostScripts.remove(id)
        if (id.kind == "File" || id.kind == "Directory") && HostListing.isGenerated(id.name), let relative = try await adoptedPaths([id], site: site)[id] {
            script += HostScripts.removePath(kind: id.kind, relative: relative)
        }
        let result = try await context.transport.run(script, timeout: context.timeout)
        try Self.check(result, id)
    }

    static func check(_ result: HostResult, _ id: ResourceID) throws(ProviderError) {
        let message = result.errors.trimmingCharacters(in: .whitespacesAndNewlines)
        switch result.status {
        case 0: return
        case 4: throw ProviderError(.conflict, "\(id): \(message)", id: id)
        case 3, 5: throw ProviderError(.invalid, "\(id): \(message)", id: id)
        default: throw ProviderError(.failed, "\(id): the host script failed (status \(result.status)): \(message)", id: id)
        }
    }
}
