import BallastCore

/// Which resources a manifest reload affects: the ones added, removed or edited (spec, labels,
/// annotations, policy or dependencies), and every resource on a site whose declaration changed.
/// Moving a document within or between files changes nothing, and neither does a new commit of a
/// git source for a document it left alone (each commit is read from a directory of its own).
public enum DesiredChanges {
    public static func affected(from old: Reconciler.Desired?, to new: Reconciler.Desired) -> Set<ResourceID> {
        guard let old else { return Set(new.byID.keys) }
        var affected = Set<ResourceID>()
        for (id, resource) in new.byID {
            guard let before = old.byID[id] else {
                affected.insert(id)
                continue
            }
            if !sameDeclaration(before, resource, roots: (old.loadedFrom, new.loadedFrom)) { affected.insert(id) }
        }
        for id in old.byID.keys where new.byID[id] == nil { affected.insert(id) }
        let changedSites = Set(new.state.sites.filter { name, site in
            guard let before = old.state.sites[name] else { return true }
            return !sameSite(before, site)
        }.keys)
        if !changedSites.isEmpty {
            for id in new.byID.keys where changedSites.contains(id.site) { affected.insert(id) }
        }
        let changedSecrets = Set(new.secrets.keys.filter { old.secrets[$0] != new.secrets[$0] })
        if !changedSecrets.isEmpty {
            for (id, resource) in new.byID where !resource.templatePaths.isEmpty {
                if !secretExpressions(of: resource).isDisjoint(with: changedSecrets) { affected.insert(id) }
            }
        }
        return affected
    }

    /// The `${env:…}` and `${file:…}` expressions a resource's spec uses.
    public static func secretExpressions(of resource: DesiredResource) -> Set<ReferenceExpression> {
        var expressions = Set<ReferenceExpression>()
        for path in resource.templatePaths {
            guard case .string(let text)? = SpecPaths.value(at: path, in: resource.spec), let template = try? Template(parsing: text) else { continue }
            for written in template.references where written.isSecret {
                expressions.insert(written.resolvingFile(relativeTo: resource.sourceDirectory))
            }
        }
        return expressions
    }

    /// The files `${file:…}` secrets and `source` fields read: watched with the manifests.
    /// Visits every resource: ``Reconciler/Desired`` keeps the answer, made once per load.
    public static func watchedFiles(of state: DesiredState, secrets: [ReferenceExpression: String]) -> [String] {
        let secretFiles = secrets.keys.compactMap { if case .file(let path) = $0 { path } else { nil } }
        return Array(Set(secretFiles + state.resources.flatMap(\.readFiles))).sorted()
    }

    /// Whether nothing the reconciler acts on or records differs: a document moved to another
    /// file (same directory, other name) is a change, so that its file is recorded.
    static func sameDeclaration(_ a: DesiredResource, _ b: DesiredResource, roots: (a: [String], b: [String]) = ([], [])) -> Bool {
        a.spec == b.spec && a.labels == b.labels && a.annotations == b.annotations && a.policy == b.policy
            && a.dependencies == b.dependencies && place(a.sourceDirectory, in: roots.a) == place(b.sourceDirectory, in: roots.b)
            && sameFileName(a.manifest, b.manifest)
    }

    /// Whether two manifest paths name the same file within their directory (compared apart,
    /// above): a commit's checkout moves every path, not the names. Without splitting, as this
    /// runs for every resource on every reload.
    static func sameFileName(_ a: String?, _ b: String?) -> Bool {
        guard let a, let b else { return a == b }
        if a == b { return true }
        let nameA = a.lastIndex(of: "/").map { a[a.index(after: $0)...] } ?? a[...]
        let nameB = b.lastIndex(of: "/").map { b[b.index(after: $0)...] } ?? b[...]
        return nameA == nameB
    }

    /// Where a document's directory is, relative to the path it was loaded from (by position
    /// among the paths): what relative `${file:…}` and `source` read from there.
    static func place(_ directory: String?, in roots: [String]) -> String? {
        guard let directory else { return nil }
        for (index, root) in roots.enumerated() where PathText.isWithin(directory, root) {
            return "\(index):" + directory.dropFirst(root.count)
        }
        return directory
    }

    static func sameSite(_ a: Site, _ b: Site) -> Bool {
        a.siteClass == b.siteClass && a.provider == b.provider && a.labels == b.labels && a.config == b.config
    }
}
