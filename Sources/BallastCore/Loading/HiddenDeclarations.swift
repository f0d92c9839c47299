import Synchronization

/// What the hidden files under the directories a run reads declare: the files a directory's
/// walk passes over (``ManifestDirectoryWalk/isHidden(_:)``, names starting with `.`).
///
/// A resource no file read declares is not taken for removed while one of them declares it: an
/// older Ballast read such files and applied what they declare, and a git source reading a
/// whole repository never recorded where a resource came from, so `.infra/estate.yaml` in a
/// directory given would otherwise read as emptied. The files are listed and read once, on the
/// first question (a run with nothing undeclared never pays for it), without validating them
/// (``DeclarationIndex``).
public final class HiddenDeclarations: Sendable {
    private let directories: [String]
    private let yaml: YAMLLoader
    private let index = Mutex<DeclarationIndex?>(nil)

    /// - Parameter directories: the directories given (a git source's checkout); other paths
    ///   are passed over.
    public init(directories: [String], yaml: YAMLLoader = YAMLLoader()) {
        self.directories = directories.filter(ManifestScope.isDirectory)
        self.yaml = yaml
    }

    /// Why `id`, which the files read do not declare, is not a removal: a hidden file declares
    /// it (named by `named`, as errors name files); nil when none does.
    public func leftOut(_ id: ResourceID, named: (String) -> String = { $0 }) -> ManifestScope.LeftOut? {
        file(declaring: id).map { .declaredInHiddenFile(named($0)) }
    }

    /// The first hidden file (by path) with a document declaring `id`.
    public func file(declaring id: ResourceID) -> String? {
        guard !directories.isEmpty else { return nil }
        return index.withLock { index in
            if index == nil {
                let hidden = directories.flatMap { directory in
                    ManifestDirectoryWalk(directory, limit: 100_000, includesHidden: true).files.filter { ManifestDirectoryWalk.passesOver($0, walking: directory) }
                }
                index = DeclarationIndex(files: hidden, yaml: yaml)
            }
            return index?.file(declaring: id)
        }
    }
}
