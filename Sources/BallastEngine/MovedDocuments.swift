import BallastCore

/// Where the documents of resources a run on named files no longer reads went: the other
/// files under the directories of the files given, read once, without validating them
/// (``DeclarationIndex``), and only by a run with such a resource.
///
/// `ballast apply estate/sites.yaml estate/team-a.yaml` reads two files. A resource whose file
/// is gone from beside them, or whose document left `team-a.yaml`, may have been renamed, split
/// or moved to a file it did not read (`git mv estate/team-b.yaml estate/team-b/main.yaml`,
/// pulled; a document moved to a new `team-a2.yaml`): neither is a removal.
enum MovedDocuments {
    /// Updates `leftOut` (``ManifestScope/notGiven(_:exists:)`` for each of `undeclared`):
    /// - a document found declaring one keeps it, naming that file;
    /// - a file gone from a directory the run did not read in full
    ///   (``ManifestScope/LeftOut/goneFromDirectoryNotGiven(file:directory:directoryExists:)``) and
    ///   declared nowhere there is a removal, when every file there could be listed and read; else
    ///   it stays kept;
    /// - a document gone from a file given, declared nowhere there, stays a removal.
    static func lookFor(_ leftOut: inout [ResourceID: ManifestScope.LeftOut], undeclared: [ResourceID], scope: ManifestScope, inventory: Inventory, yaml: YAMLLoader) {
        var gone: [(id: ResourceID, recorded: String)] = []
        var leftItsFile: [ResourceID] = []
        for id in undeclared {
            guard let recorded = inventory[id]?.manifest else { continue }
            switch leftOut[id] {
            case .goneFromDirectoryNotGiven?: gone.append((id, recorded))
            case nil where scope.covers(recorded) && !scope.wasReadWhole(recorded): leftItsFile.append(id)
            default: break
            }
        }
        guard !gone.isEmpty || !leftItsFile.isEmpty else { return }
        let listed = scope.checkoutDirectories.compactMap { scope.unreadManifests(under: $0) }
        let index = DeclarationIndex(files: Array(Set(listed.joined())), yaml: yaml)
        for id in leftItsFile {
            if let file = index.file(declaring: id) { leftOut[id] = .declaredInFileNotGiven(scope.named(file)) }
        }
        for (id, recorded) in gone {
            if let file = index.file(declaring: id) {
                leftOut[id] = .declaredInFileNotGiven(scope.named(file))
                continue
            }
            // Removed, if where it was has been read through: its directory here, every file in
            // it listed and read.
            if index.unreadable.isEmpty, scope.placesItWouldBe(recorded).contains(where: { scope.checkoutDirectory(holding: $0).flatMap(scope.unreadManifests(under:)) != nil }) {
                leftOut[id] = nil
            }
        }
    }
}
