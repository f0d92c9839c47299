import BallastProviders
import Foundation

/// Where one service of one site is reached: AWS's regional endpoint, or the site's
/// `spec.config.endpoint` override (an emulator, a VPC endpoint, an S3-compatible cloud).
public struct AWSEndpoint: Sendable, Hashable {
    public var scheme: String
    public var host: String
    public var port: Int?
    /// Path-style S3 addressing (`host/bucket`), used with an override; AWS itself gets
    /// virtual-hosted addressing (`bucket.host`).
    public var pathStyle: Bool

    public init(scheme: String, host: String, port: Int? = nil, pathStyle: Bool) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.pathStyle = pathStyle
    }

    /// The endpoint for `service` in `region`, or the override.
    public static func resolve(service: String, region: String, override: String?) throws(ProviderError) -> AWSEndpoint {
        guard let override, !override.isEmpty else {
            return AWSEndpoint(scheme: "https", host: "\(service).\(region).amazonaws.com", pathStyle: false)
        }
        guard let url = URL(string: override), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), let host = url.host, !host.isEmpty else {
            throw ProviderError(.invalid, "spec.config.endpoint '\(override)' is not an http:// or https:// URL")
        }
        return AWSEndpoint(scheme: scheme, host: host, port: url.port, pathStyle: true)
    }

    /// The Host header: the host, with the port when it is not the scheme's default.
    public var authority: String {
        guard let port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) else { return host }
        return "\(host):\(port)"
    }

    public var description: String { "\(scheme)://\(authority)" }
}
