import BallastCore
import BallastProviders
import Foundation
import Logging

/// Finds provider plugins — executables named `ballast-provider-NAME` — in the configured
/// directories, then STATE/plugins, then PATH (the first of each name wins), and asks each for
/// its handshake and schema, so that validation knows the kinds of `plugin:NAME` sites.
public struct PluginDiscovery: Sendable {
    public var directories: [String]
    public var callTimeout: Duration
    public var logger: Logger

    /// `configured`: `BALLAST_PLUGIN_PATH`-style directories (searched first).
    public init(configured: [String], stateDirectory: String, path: String?, callTimeout: Duration = .seconds(30), logger: Logger) {
        directories = configured + [stateDirectory + "/plugins"] + (path ?? "").split(separator: ":").map(String.init)
        self.callTimeout = callTimeout
        self.logger = logger
    }

    public static let prefix = "ballast-provider-"

    /// Every plugin found, by name (`ipam` for `ballast-provider-ipam`).
    public func executables() -> [String: String] {
        var found: [String: String] = [:]
        for directory in directories where !directory.isEmpty {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
            for entry in entries.sorted() where entry.hasPrefix(Self.prefix) && entry.count > Self.prefix.count {
                let name = String(entry.dropFirst(Self.prefix.count))
                let path = directory + "/" + entry
                if found[name] == nil, FileManager.default.isExecutableFile(atPath: path) { found[name] = path }
            }
        }
        return found
    }

    /// Providers for the plugins that answer their handshake and schema; the others are logged
    /// (a site naming one then fails validation as an unknown provider).
    public func providers() -> [PluginProvider] {
        executables().sorted { $0.key < $1.key }.compactMap { name, path in
            do throws(ProviderError) {
                let (schema, pushes) = try PluginProbe(name: name, executable: path, timeout: .seconds(10)).describe()
                return PluginProvider(pluginName: name, executable: path, schema: schema, pushesChanges: pushes, callTimeout: callTimeout, logger: logger)
            } catch {
                logger.error("plugin skipped: \(error.message)", metadata: ["plugin": "\(name)", "path": "\(path)"])
                return nil
            }
        }
    }
}
