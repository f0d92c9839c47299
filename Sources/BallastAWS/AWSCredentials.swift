import Foundation

/// An access key pair, optionally with a session token. Its description never shows the secret.
public struct AWSCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// Where they came from (`environment`, `profile default in ~/.aws/credentials`).
    public var source: String

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, source: String = "given") {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.source = source
    }

    public var description: String { "AWS credentials \(accessKeyId.prefix(4))… from \(source)" }
    public var debugDescription: String { description }
}
