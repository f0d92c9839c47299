import BallastCore
import BallastProviders
import Foundation
import Logging
import Synchronization

/// Finds provider plugins — executables named `ballast-provider-NAME` — in the configured
/// directories, then STATE/plugins, then PATH (the first of each name wins).
///
/// A plugin is started for its handshake and schema only when a site uses it (or
/// `ballast providers` lists them all), and that probe is bounded by `probeTimeout`: a plugin
/// that never answers costs that long once, and only to the commands that need it.
public final class PluginDiscovery: ProviderSource {
    public let directories: [String]
    public let callTimeout: Duration
    public let probeTimeout: Duration
    /// How long a failed probe is believed before the plugin is asked again.
    public let retryFailedProbeAfter: Duration
    let logger: Logger

    private struct Found {
        var executables: [String: String]?
        /// Probed plugins: the provider, or why the probe failed.
        var probed: [String: Result<PluginProvider, ProviderError>] = [:]
        /// When each failed probe ended: a failure is retried after `retryFailedProbeAfter`, so
        /// a long-running daemon picks up a plugin that was fixed (or slow once).
        var failedAt: [String: ContinuousClock.Instant] = [:]
    }
    private let found = Mutex(Found())

    /// `configured`: `BALLAST_PLUGIN_PATH`-style directories (searched first).
    public init(configured: [String], stateDirectory: String, path: String?, callTimeout: Duration = .seconds(30), probeTimeout: Duration = .seconds(10), retryFailedProbeAfter: Duration = .seconds(60), logger: Logger) {
        self.retryFailedProbeAfter = retryFailedProbeAfter
        directories = configured + [stateDirectory + "/plugins"] + (path ?? "").split(separator: ":").map(String.init)
        self.callTimeout = callTimeout
        self.probeTimeout = probeTimeout
        self.logger = logger
    }

    public static let prefix = "ballast-provider-"

    static let providerPrefix = "plugin:"

    /// Every plugin found, by name (`ipam` for `ballast-provider-ipam`).
    public func executables() -> [String: String] {
        if let known = found.withLock({ $0.executables }) { return known }
        var result: [String: String] = [:]
        for directory in directories where !directory.isEmpty {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
            for entry in entries.sorted() where entry.hasPrefix(Self.prefix) && entry.count > Self.prefix.count {
                let name = String(entry.dropFirst(Self.prefix.count))
                let path = directory + "/" + entry
                if result[name] == nil, FileManager.default.isExecutableFile(atPath: path) { result[name] = path }
            }
        }
        found.withLock { $0.executables = result }
        return result
    }

    public var names: [String] { executables().keys.sorted().map { Self.providerPrefix + $0 } }

    public func provider(named name: String) -> (any Provider)? {
        guard name.hasPrefix(Self.providerPrefix) else { return nil }
        let pluginName = String(name.dropFirst(Self.providerPrefix.count))
        guard let path = executables()[pluginName] else { return nil }
        // Probes run one at a time; a second asker for the same plugin waits for the answer.
        return found.withLock { state -> PluginProvider? in
            if let known = state.probed[pluginName] {
                let fresh = state.failedAt[pluginName].map { ContinuousClock.now - $0 < retryFailedProbeAfter } ?? true
                if fresh { return try? known.get() }
            }
            let result = probe(pluginName, path: path)
            state.probed[pluginName] = result
            state.failedAt[pluginName] = (try? result.get()) == nil ? ContinuousClock.now : nil
            return try? result.get()
        }
    }

    public func unavailability(of name: String) -> String? {
        guard name.hasPrefix(Self.providerPrefix) else { return nil }
        let pluginName = String(name.dropFirst(Self.providerPrefix.count))
        guard executables()[pluginName] != nil else {
            return "no executable \(Self.prefix)\(pluginName) in BALLAST_PLUGIN_PATH, STATE/plugins or PATH"
        }
        guard case .failure(let error)? = found.withLock({ $0.probed[pluginName] }) else { return nil }
        return error.message
    }

    public var described: [any Provider] {
        found.withLock { state in state.probed.values.compactMap { try? $0.get() }.sorted { $0.name < $1.name } }
    }

    private func probe(_ name: String, path: String) -> Result<PluginProvider, ProviderError> {
        do throws(ProviderError) {
            let (schema, capabilities) = try PluginProbe(name: name, executable: path, timeout: probeTimeout).describe()
            return .success(PluginProvider(pluginName: name, executable: path, schema: schema, capabilities: capabilities, callTimeout: callTimeout, logger: logger))
        } catch {
            logger.debug("plugin did not describe itself: \(error.message)", metadata: ["plugin": "\(name)", "path": "\(path)"])
            return .failure(error)
        }
    }
}
