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
    /// The providers the Site manifests name, valid or not, each with where it is first named:
    /// the found providers (plugins) to describe before the manifests can be validated against
    /// their schemas.
    public var siteProviders: [String: SourceLocation] = [:]
    /// The providers only pull sites name (``Site/Mode/providersOnlyPullSitesUse(_:)``), valid
    /// or not: the hub may lack them, as their agents have them.
    public var providersOnlyPullSitesUse: Set<String> = []
    /// The provider of each pull site the Site manifests declare, valid or not.
    public var pullSiteProviders: [String: String] = [:]
}

/// Loads manifests from files, directories or standard input, and validates them.
public struct ManifestLoader: Sendable {
    public var catalog: SchemaCatalog
    public var yaml: YAMLLoader
    /// See ``ManifestDecoder/acceptsUnknownKinds``.
    public var acceptsUnknownKinds: Bool
    /// Which files `source` fields may read (``ManifestReadPolicy``).
    public var readPolicy: ManifestReadPolicy = .unrestricted

    public init(catalog: SchemaCatalog, yaml: YAMLLoader = YAMLLoader(), acceptsUnknownKinds: Bool = false) {
        self.catalog = catalog
        self.yaml = yaml
        self.acceptsUnknownKinds = acceptsUnknownKinds
        // Part of the manifest format, whatever YAML settings are given.
        self.yaml.parser.textMaps = ManifestDecoder.textMaps
    }

    public func load(paths: [String], readStandardInput: () -> [UInt8] = { [] }) -> LoadedManifests {
        var diagnostics: [Diagnostic] = []
        if paths.isEmpty { diagnostics.append(.error("no manifest paths given", at: nil)) }
        let inputs = ManifestInput.gather(paths, readStandardInput: readStandardInput, limit: yaml.parser.limits.maxInputBytes, diagnostics: &diagnostics)
        var result = load(inputs)
        result.diagnostics = Diagnostics(diagnostics + result.diagnostics.items)
        if result.diagnostics.hasErrors { result.desired = nil }
        return result
    }

    /// Loads and validates; each input's bytes are released as soon as it is parsed.
    public func load(_ inputs: consuming [ManifestInput]) -> LoadedManifests {
        var files = SourceFiles()
        var diagnostics: [Diagnostic] = []
        var documents: [[ManifestDocument]] = []
        var documentCount = 0
        var isStream: [Bool] = []
        var canonicalPaths: [String?] = []
        var digests: [String] = []
        let decoder = ManifestDecoder(catalog: catalog, acceptsUnknownKinds: acceptsUnknownKinds)
        var fileIDs: [UInt32] = []
        for index in inputs.indices {
            fileIDs.append(files.add(inputs[index].path))
            isStream.append(inputs[index].isStream || inputs[index].path == "<stdin>")
            canonicalPaths.append(inputs[index].canonicalPath)
        }
        // Files are parsed and decoded on every core, each taken by the next free worker; a
        // large file is also cut into chunks that run on every core (YAMLLoader).
        let parsed = UnsafeMutableBufferPointer<(documents: [[ManifestDocument]], diagnostics: [Diagnostic], digest: String)>.allocate(capacity: inputs.count)
        parsed.initialize(repeating: ([], [], ""))
        defer {
            parsed.deinitialize()
            parsed.deallocate()
        }
        inputs.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let items = buffer
            nonisolated(unsafe) let slots = parsed
            let yaml = self.yaml
            let fileIDs = fileIDs
            ParallelSlices.each(items.count, workers: yaml.parallelism) { index in
                let digest = items[index].path + "\u{0}" + InputDigest.digest(items[index].bytes)
                let (decoded, problems) = yaml.loadChunks(taking: &items[index].bytes, file: fileIDs[index]) {
                    var session = ManifestDecoder.Session()
                    return { root, diagnostics in decoder.decode(root, session: &session, diagnostics: &diagnostics) }
                }
                slots[index] = (decoded, problems, digest)
            }
        }
        for index in parsed.indices {
            documentCount += parsed[index].documents.reduce(0) { $0 + $1.count }
            documents.append(contentsOf: parsed[index].documents)
            parsed[index].documents = []
            diagnostics.append(contentsOf: parsed[index].diagnostics)
            digests.append(parsed[index].digest)
        }
        var digest = SpecDigest.digest(digests.joined(separator: "\n"))
        if documentCount == 0 && !inputs.isEmpty && !diagnostics.contains(where: { $0.severity == .error }) {
            diagnostics.append(.warning("the input holds no manifests", at: nil))
        }
        // Relative `${file:…}` paths and file-loading fields resolve against the manifest's
        // directory (the working directory for standard input and other streams).
        let directories = files.paths.indices.map { index -> String? in
            guard !isStream[index] else { return nil }
            let directory = PathText.deletingLastComponent(files.path(UInt32(index)))
            return directory.isEmpty ? "." : directory
        }
        let workingDirectory = FileManager.default.currentDirectoryPath
        let manifests = files.paths.indices.map { index in
            isStream[index] ? nil : canonicalPaths[index] ?? ManifestScope.canonical(files.path(UInt32(index)), in: workingDirectory)
        }
        var desired = ManifestValidator(catalog: catalog, parallelism: yaml.parallelism).validate(
            chunks: documents, sourceDirectories: directories, manifestFiles: manifests, diagnostics: &diagnostics)
        if var state = desired.take() {
            // Files read into specs count as inputs: a saved plan is stale when one changes.
            let read = loadSourceFiles(&state, diagnostics: &diagnostics)
            if !read.isEmpty {
                digest = SpecDigest.digest(digest + "\n" + read.map { $0 + "\u{0}" + InputDigest.digest(ManifestInput.readFile($0) ?? []) }.joined(separator: "\n"))
            }
            desired = state
        }
        let collected = Diagnostics(diagnostics)
        var siteProviders: [String: SourceLocation] = [:]
        for case .site(let manifest) in documents.joined() where siteProviders[manifest.provider.value] == nil {
            siteProviders[manifest.provider.value] = manifest.provider.location
        }
        var loaded = LoadedManifests(files: files, diagnostics: collected, desired: collected.hasErrors ? nil : desired, inputDigest: digest, documentCount: documentCount, siteProviders: siteProviders)
        var sites: [(provider: String, mode: Site.Mode)] = []
        for case .site(let manifest) in documents.joined() {
            sites.append((manifest.provider.value, manifest.mode))
            if manifest.mode == .pull { loaded.pullSiteProviders[manifest.name.value] = manifest.provider.value }
        }
        loaded.providersOnlyPullSitesUse = Site.Mode.providersOnlyPullSitesUse(sites)
        return loaded
    }

    /// Fields such as a host File's `source`: the named file (relative to the manifest) is
    /// read into its target field (`content`), so plans diff the text itself.
    /// Returns the paths read, in resource order.
    func loadSourceFiles(_ state: inout DesiredState, diagnostics: inout [Diagnostic]) -> [String] {
        // Only kinds with such fields are looked at: usually none of them.
        var loadingKinds: Set<String> = []
        for schema in catalog.providers.values {
            for kind in schema.kinds where kind.fields.contains(where: { $0.loadsFileInto != nil }) { loadingKinds.insert(kind.kind) }
        }
        guard !loadingKinds.isEmpty else { return [] }
        var read: [String] = []
        for index in state.resources.indices where loadingKinds.contains(state.resources[index].id.kind) {
            let resource = state.resources[index]
            guard let provider = state.sites[resource.id.site]?.provider, let kind = catalog.providers[provider]?.kind(resource.id.kind) else { continue }
            for field in kind.fields {
                guard let target = field.loadsFileInto else { continue }
                guard case .string(let path)? = resource.spec[field.name] else {
                    if resource.spec[target] == nil && !resource.templatePaths.contains(target) {
                        diagnostics.append(.error("\(resource.id) needs spec.\(target) or spec.\(field.name)", at: resource.location))
                    }
                    continue
                }
                let fieldLocation = resource.fieldLocations[field.name] ?? resource.location
                if resource.spec[target] != nil {
                    diagnostics.append(.error("\(resource.id) sets both spec.\(field.name) and spec.\(target); use one", at: fieldLocation))
                    continue
                }
                let full = path.hasPrefix("/") ? path : (resource.sourceDirectory ?? ".") + "/" + path
                if let refusal = readPolicy.refusal(file: full) {
                    diagnostics.append(.error("\(resource.id) spec.\(field.name): '\(path)' is not read: \(refusal)", at: fieldLocation))
                    continue
                }
                let bytes: [UInt8]
                switch FileContents.read(full, limit: yaml.parser.limits.maxInputBytes) {
                case .success(let read): bytes = read
                case .failure(let failure):
                    diagnostics.append(.error("\(resource.id) spec.\(field.name): '\(path)' cannot be read: \(failure) (looked for \(full))", at: fieldLocation))
                    continue
                }
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    diagnostics.append(.error("\(resource.id) spec.\(field.name): '\(path)' cannot be read as UTF-8 text (looked for \(full))", at: fieldLocation))
                    continue
                }
                state.resources[index].spec[field.name] = nil
                state.resources[index].spec[target] = .string(text)
                state.resources[index].readFiles.append(full)
                read.append(full)
            }
        }
        return read
    }
}
