/// The one place that decides whether a managed resource may be deleted, forgotten, or must be
/// kept. Pure: every path that can remove a resource asks it — `plan` (pruning what is no
/// longer declared), `apply` of a saved plan (re-checked), `destroy`, and watch mode's prune.
///
/// Deletion is the dangerous verb, so the rule keeps by default: a resource is deleted only
/// when its site was observed, it still exists, no policy protects it, and (for pruning) the
/// manifests have settled and the deletion budget allows it.
public enum DeletionRule {
    /// Why deleting the resource is considered at all.
    public enum Request: Sendable, Hashable {
        /// It is managed, but the manifests no longer declare it.
        case prune
        /// `ballast destroy` named it.
        case destroy
    }

    /// Everything the decision depends on; nothing else is read.
    public struct Candidate: Sendable, Hashable {
        public var id: ResourceID
        public var request: Request
        /// The policy the inventory remembers from the last apply.
        public var recorded: RecordedPolicy
        /// The manifest's policy now, when the resource is still declared.
        public var declared: RecordedPolicy?
        /// Whether the resource's site is still declared (a provider can reach it).
        public var siteDeclared: Bool
        /// Whether the site is a pull site: its agent, not this process, acts on it.
        public var siteManagedByAgent: Bool
        /// Why the site could not be observed, when it could not.
        public var siteUnavailable: String?
        /// Whether the resource was observed to exist.
        public var exists: Bool
        /// Whether the manifests have been unchanged long enough to trust a removal (watch's
        /// prune delay; always true for a one-shot command, which reads its files once).
        public var sourceSettled: Bool
        /// For a resource no manifest declares: why the manifest it was last applied from may
        /// still declare it, outside the paths read (``ManifestScope/notGiven(_:exists:)``).
        public var manifestNotGiven: ManifestScope.LeftOut?

        public init(id: ResourceID, request: Request, recorded: RecordedPolicy, declared: RecordedPolicy? = nil, siteDeclared: Bool = true, siteManagedByAgent: Bool = false, siteUnavailable: String? = nil, exists: Bool, sourceSettled: Bool = true, manifestNotGiven: ManifestScope.LeftOut? = nil) {
            self.id = id
            self.siteManagedByAgent = siteManagedByAgent
            self.request = request
            self.recorded = recorded
            self.declared = declared
            self.siteDeclared = siteDeclared
            self.siteUnavailable = siteUnavailable
            self.exists = exists
            self.sourceSettled = sourceSettled
            self.manifestNotGiven = manifestNotGiven
        }

        /// A candidate whose site facts come from the declared `sites`: declared or not, and
        /// whether its agent acts on it.
        public init(id: ResourceID, request: Request, recorded: RecordedPolicy, declared: RecordedPolicy? = nil, sites: [String: Site], siteUnavailable: String? = nil, exists: Bool, sourceSettled: Bool = true, manifestNotGiven: ManifestScope.LeftOut? = nil) {
            let site = sites[id.site]
            self.init(
                id: id, request: request, recorded: recorded, declared: declared, siteDeclared: site != nil, siteManagedByAgent: site?.isPull ?? false,
                siteUnavailable: siteUnavailable, exists: exists, sourceSettled: sourceSettled, manifestNotGiven: manifestNotGiven)
        }
    }

    /// Why a resource is kept.
    public enum Hold: Sendable, Hashable {
        /// Still declared: pruning never touches it.
        case declared
        /// Not declared by the manifests read, but the manifest it was last applied from may
        /// still declare it: that file exists outside them, or it is gone from a directory that
        /// was not read (renamed or moved, perhaps). Left out, not emptied.
        case manifestNotGiven(ManifestScope.LeftOut)
        /// Its site could not be observed: whether it exists is unknown.
        case siteUnavailable(String)
        /// Its site is no longer declared: nothing can reach it.
        case siteUndeclared
        /// `preventDestroy`, as applied or as declared now.
        case preventDestroy
        /// `prune: false`: only destroy or forget remove it.
        case pruneDisabled
        /// The manifests changed too recently to trust that it was really removed.
        case sourceUnsettled
        /// Its site is a pull site: only its agent deletes there, when a newer desired state
        /// omits the resource.
        case managedByAgent

        /// Whether the hold is an error the user must act on (not a wait, not a choice).
        public var isError: Bool {
            switch self {
            case .preventDestroy, .manifestNotGiven: true
            case .declared, .siteUnavailable, .siteUndeclared, .pruneDisabled, .sourceUnsettled, .managedByAgent: false
            }
        }

        public func message(for id: ResourceID, request: Request) -> String {
            switch self {
            case .declared: "\(id) is still declared"
            case .manifestNotGiven(.fileNotGiven(let manifest)):
                "\(id) is not declared in the manifests given, but it was last applied from \(manifest), which still exists and was not given: it is kept; give that file (or its directory) too, so that what it declares is read, or delete the file"
            case .manifestNotGiven(.declaredInFileNotGiven(let manifest)):
                "\(id) is not declared in the manifests given, but \(manifest), which was not given, declares it now (renamed, split or moved there from the file it was last applied from): it is kept; give that file (or its directory) too"
            case .manifestNotGiven(.declaredInHiddenFile(let manifest)):
                "\(id) is not declared in the manifests read, but \(manifest) declares it, and a directory given does not read what is under a name starting with '.': it is kept; name that file (or its directory) too, move it to a name that does not start with '.', or delete it if it is a stale copy"
            case .manifestNotGiven(.goneFromDirectoryNotGiven(let manifest, let directory, directoryExists: true)):
                "\(id) is not declared in the manifests given, and \(manifest), the file it was last applied from, is gone, but its directory \(directory) was not given: the file may have been renamed or moved, so it is kept; give the directory, so that what it holds now is read (or the file that declares it now)"
            case .manifestNotGiven(.goneFromDirectoryNotGiven(let manifest, let directory, directoryExists: false)):
                "\(id) is not declared in the manifests given, and \(manifest), the file it was last applied from, is gone with its directory \(directory) (a checkout moved, removed, or on another machine): it may be declared in a file not given, so it is kept; give the file that declares it now, or, if it was removed, declare it in a file given and apply, then remove it there (or run 'ballast forget \(id)' to stop managing it)"
            case .siteUnavailable(let reason): "\(id) is kept: its site '\(id.site)' could not be observed (\(reason))"
            case .siteUndeclared:
                "\(id) is managed but its site '\(id.site)' is no longer declared: it cannot be deleted or observed; declare the site again to delete it, or run 'ballast forget \(id)' to stop managing it"
            case .preventDestroy:
                switch request {
                case .destroy: "\(id) has policy.preventDestroy: destroy refuses to delete it; lift the policy and apply first"
                case .prune: "\(id) is no longer declared, but it was applied with policy.preventDestroy; declare it again, or apply it once without preventDestroy before removing it"
                }
            case .pruneDisabled:
                "\(id) is no longer declared, but policy.prune is false: it is kept; run 'ballast forget \(id)' to stop managing it, or destroy it explicitly"
            case .sourceUnsettled: "\(id) is no longer declared; its removal waits until the manifests have settled"
            case .managedByAgent:
                switch request {
                case .destroy: "\(id) is on pull site '\(id.site)': only its agent deletes there; remove the resource from the manifests and the agent deletes it"
                case .prune: "\(id) is on pull site '\(id.site)': its agent deletes it once its desired state omits it"
                }
            }
        }
    }

    public enum Verdict: Sendable, Hashable {
        /// Call the provider's delete.
        case delete(ActionReason)
        /// Remove only the inventory entry: the resource is gone already, or `deletion: orphan`.
        case forget(ActionReason)
        case keep(Hold)

        /// The planned action, when there is one.
        public var action: (Action, ActionReason)? {
            switch self {
            case .delete(let reason), .forget(let reason): (.delete, reason)
            case .keep: nil
            }
        }

        /// Whether the provider is asked to delete something (what the deletion budget counts).
        public var deletesInTheWorld: Bool {
            if case .delete = self { return true }
            return false
        }
    }

    public static func decide(_ candidate: Candidate) -> Verdict {
        if candidate.request == .prune && candidate.declared != nil { return .keep(.declared) }
        // Left out of this run's paths, not removed from its file.
        if candidate.request == .prune, let manifest = candidate.manifestNotGiven { return .keep(.manifestNotGiven(manifest)) }
        // The hub never deletes on a pull site, whatever its inventory holds (a site switched
        // from push to pull): the agent owns it.
        if candidate.siteManagedByAgent { return .keep(.managedByAgent) }
        guard candidate.siteDeclared else { return .keep(.siteUndeclared) }
        if let reason = candidate.siteUnavailable { return .keep(.siteUnavailable(reason)) }
        if candidate.request == .prune && !candidate.recorded.prune { return .keep(.pruneDisabled) }
        let policy = candidate.declared ?? candidate.recorded
        let verdict: Verdict
        if policy.deletion == .orphan {
            verdict = .forget(.orphaned)
        } else if !candidate.exists {
            // Nothing left to protect: only the inventory entry remains.
            verdict = .forget(.vanished)
        } else if candidate.recorded.preventDestroy || policy.preventDestroy {
            return .keep(.preventDestroy)
        } else {
            verdict = .delete(candidate.request == .destroy ? .destroyRequested : .notDeclared)
        }
        // A removal read from manifests that may be half written waits until they settle.
        if candidate.request == .prune && !candidate.sourceSettled { return .keep(.sourceUnsettled) }
        return verdict
    }
}
