extension InventoryEntry {
    /// This entry with what it keeps of `resource`'s declaration brought up to date — the
    /// policy that decides what happens once the manifest is gone, the dependencies, the labels
    /// a label-scoped budget counts its deletion against, and the manifest file
    /// (``ManifestScope/recorded(_:fromGit:previous:)``) — or nil when they are already what
    /// `resource` declares.
    ///
    /// The one rule for a resource that needed no action: `apply` (``ApplyService``) and the
    /// watch daemon's reconciler both record through it, so that `preventDestroy` set on a
    /// resource whose spec did not change protects it once its document is removed, and a
    /// document moved to another file is recorded there.
    public func recordingDeclaration(of resource: DesiredResource, fromGit: Bool) -> InventoryEntry? {
        let declared = (RecordedPolicy(resource.policy), resource.dependencies, resource.labels, ManifestScope.recorded(resource, fromGit: fromGit, previous: manifest))
        guard (recordedPolicy, dependencies, labels, manifest) != declared else { return nil }
        var entry = self
        (entry.recordedPolicy, entry.dependencies, entry.labels, entry.manifest) = declared
        return entry
    }
}
