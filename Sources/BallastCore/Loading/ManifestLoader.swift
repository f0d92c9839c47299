import Crypto
import Foundation

/// The outcome of loading and validating manifests.
public struct LoadedManifests: Sendable {
    public var files: SourceFiles
    public var diagnostics: Diagnostics
    /// Nil when there were errors: nothing may be planned or applied from it.
    public var desired: DesiredState?
    /// A digest of every input's path and bytes, in order (see ``InputDigest``): a saved plan
    /// records it.
    public var inputDigest: String
    public var documentCount: Int
}

/// Loads manifests from files, directories or standard input, and validates them.
public struct ManifestLoader: Sendable {
    public var catalog: SchemaCatalog
    public var yaml: YAMLLoader

    public init(catalog: SchemaCatalog, yaml: YAMLLoader = YAMLLoader()) {
        self.catalog = catalog
        self.yaml = yaml
    }

    public func load(paths: [String], readStandardInput: () -> [UInt8] = { [] }) -> LoadedManifests {
        var diagnostics: [Diagnostic] = []
        if paths.isEmpty { diagnostics.append(.error("no manifest paths given", at: nil)) }
        let inputs = ManifestInput.gather(paths, readStandardInput: readStandardInput, diagnostics: &diagnostics)
        var result = load(inputs)
        result.diagnostics = Diagnostics(diagnostics + result.diagnostics.items)
        if result.diagnostics.hasErrors { result.desired = nil }
        return result
    }

    public func load(_ inputs: [ManifestInput]) -> LoadedManifests {
        var files = SourceFiles()
        var diagnostics: [Diagnostic] = []
        var documents: [ManifestDocument] = []
        var digests: [String] = []
        let decoder = ManifestDecoder(catalog: catalog)
        for input in inputs {
            let file = files.add(input.path)
            digests.append(input.path + "\u{0}" + InputDigest.digest(input.bytes))
            let (decoded, problems) = yaml.load(bytes: input.bytes, file: file) { root, diagnostics in
                decoder.decode(root, diagnostics: &diagnostics)
            }
            documents.append(contentsOf: decoded)
            diagnostics.append(contentsOf: problems)
        }
        let digest = SpecDigest.digest(digests.joined(separator: "\n"))
        if documents.isEmpty && !inputs.isEmpty && !diagnostics.contains(where: { $0.severity == .error }) {
            diagnostics.append(.warning("the input holds no manifests", at: nil))
        }
        var desired = ManifestValidator(catalog: catalog).validate(documents, diagnostics: &diagnostics)
        if var state = desired {
            for index in state.resources.indices {
                guard let file = state.resources[index].location?.file, !inputs.isEmpty, inputs[Int(file)].path != "<stdin>" else { continue }
                let directory = (files.path(file) as NSString).deletingLastPathComponent
                state.resources[index].sourceDirectory = directory.isEmpty ? "." : directory
            }
            desired = state
        }
        let collected = Diagnostics(diagnostics)
        return LoadedManifests(files: files, diagnostics: collected, desired: collected.hasErrors ? nil : desired, inputDigest: digest, documentCount: documents.count)
    }
}
