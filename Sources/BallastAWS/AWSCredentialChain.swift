import BallastProviders
import Foundation

/// Finds credentials the way the AWS CLI and SDKs do, in order:
/// 1. `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`;
/// 2. the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`);
/// 3. the config file (`AWS_CONFIG_FILE`, else `~/.aws/config`, sections `[profile NAME]`).
///
/// The profile is the site's `spec.config.profile`, else `AWS_PROFILE`, else `default`.
public struct AWSCredentialChain: Sendable {
    public var environment: [String: String]
    public var homeDirectory: String

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, homeDirectory: String = NSHomeDirectory()) {
        self.environment = environment
        self.homeDirectory = homeDirectory
    }

    public func resolve(profile requested: String? = nil) throws(ProviderError) -> AWSCredentials {
        if requested == nil, let key = nonEmpty("AWS_ACCESS_KEY_ID"), let secret = nonEmpty("AWS_SECRET_ACCESS_KEY") {
            return AWSCredentials(accessKeyId: key, secretAccessKey: secret, sessionToken: nonEmpty("AWS_SESSION_TOKEN"), source: "the environment")
        }
        let profile = requested ?? nonEmpty("AWS_PROFILE") ?? "default"
        let credentialsFile = nonEmpty("AWS_SHARED_CREDENTIALS_FILE") ?? homeDirectory + "/.aws/credentials"
        let configFile = nonEmpty("AWS_CONFIG_FILE") ?? homeDirectory + "/.aws/config"
        if let section = Self.ini(credentialsFile)[profile], let found = Self.credentials(section, source: "profile \(profile) in \(credentialsFile)") {
            return found
        }
        let configSection = profile == "default" ? "default" : "profile \(profile)"
        if let section = Self.ini(configFile)[configSection], let found = Self.credentials(section, source: "profile \(profile) in \(configFile)") {
            return found
        }
        throw ProviderError(.forbidden, "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add profile '\(profile)' to \(credentialsFile)")
    }

    private func nonEmpty(_ name: String) -> String? {
        guard let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    static func credentials(_ section: [String: String], source: String) -> AWSCredentials? {
        guard let key = section["aws_access_key_id"], let secret = section["aws_secret_access_key"], !key.isEmpty, !secret.isEmpty else { return nil }
        return AWSCredentials(accessKeyId: key, secretAccessKey: secret, sessionToken: section["aws_session_token"], source: source)
    }

    /// A minimal INI reader: `[section]`, `key = value`, `#` and `;` comment lines.
    static func ini(_ path: String) -> [String: [String: String]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var sections: [String: [String: String]] = [:]
        var current: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                current = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[current, default: [:]][key] = value
        }
        return sections
    }
}
