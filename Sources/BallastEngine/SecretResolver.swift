import BallastCore
import Foundation

/// Reads the values behind `${env:NAME}` and `${file:path}` references.
public protocol SecretSource: Sendable {
    /// The value of an environment variable, or nil when it is not set.
    func environment(_ name: String) -> String?
    /// The contents of a file, or nil (relative paths are from the working directory; the
    /// resolver has already made manifest-relative paths absolute).
    func file(_ path: String) -> String?
}

/// The process environment and the file system.
public struct SystemSecretSource: SecretSource {
    public init() {}

    public func environment(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name]
    }

    /// The most bytes a secret file may hold (16 MiB: a bundle of certificates fits).
    public static let fileLimit = 16 << 20

    /// A regular file's text: a named pipe (which would block the run until written) or a
    /// device (`/dev/zero` never ends) is not read, and neither is a file over ``fileLimit``.
    public func file(_ path: String) -> String? {
        (try? FileContents.read(ManifestReadPolicy.secretFile(path), limit: Self.fileLimit).get()).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// Resolves every secret reference of the desired state, reporting the missing ones.
public struct SecretResolver: Sendable {
    public var source: any SecretSource
    /// What the manifests may read; a refused reference is an error, and nothing is read.
    public var policy: ManifestReadPolicy

    public init(source: any SecretSource, policy: ManifestReadPolicy = .unrestricted) {
        self.source = source
        self.policy = policy
    }

    public func resolve(_ desired: DesiredState) -> (secrets: [ReferenceExpression: String], diagnostics: [Diagnostic]) {
        var secrets: [ReferenceExpression: String] = [:]
        var diagnostics: [Diagnostic] = []
        var reported = Set<ReferenceExpression>()
        for resource in desired.resources where !resource.templatePaths.isEmpty {
            for path in resource.templatePaths {
                guard case .string(let text)? = SpecPaths.value(at: path, in: resource.spec), let template = try? Template(parsing: text) else { continue }
                for written in template.references where written.isSecret {
                    let expression = written.resolvingFile(relativeTo: resource.sourceDirectory)
                    guard secrets[expression] == nil else { continue }
                    // Either the value, or why there is none.
                    let outcome: Result<String, Missing> = switch expression {
                    case .env(let name):
                        if let refusal = policy.refusal(environment: name) { .failure(Missing("refused: " + refusal)) }
                        else { source.environment(name).map { .success($0) } ?? .failure(Missing("environment variable \(name) is not set")) }
                    case .file(let file):
                        if let refusal = policy.refusal(file: file) { .failure(Missing("refused: " + refusal)) }
                        else { source.file(file).map { .success($0.hasSuffix("\n") ? String($0.dropLast()) : $0) } ?? .failure(Missing("file '\(file)' cannot be read")) }
                    case .output: .failure(Missing(""))
                    }
                    switch outcome {
                    case .success(let value):
                        secrets[expression] = value
                    case .failure(let missing):
                        guard reported.insert(expression).inserted else { continue }
                        diagnostics.append(.error("\(written) in \(resource.id.unplaced) spec.\(path): \(missing.reason)", at: resource.fieldLocations[path] ?? resource.location))
                    }
                }
            }
        }
        return (secrets, diagnostics)
    }

    /// Why a reference has no value.
    private struct Missing: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
