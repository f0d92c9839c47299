/// Puts the relative values of site config fields marked ``FieldSchema/dataPath`` under a data
/// directory (the state directory): where a provider keeps its own data does not depend on the
/// directory a command runs from, and never lands in the manifests' tree. Pull sites are left
/// as written: their agents resolve them under their own data directories.
public enum SiteDataPaths {
    public static func resolve(_ desired: inout DesiredState, catalog: SchemaCatalog, directory: String) {
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        // A pull site's paths are its agent's, resolved on the agent's machine.
        for (name, site) in desired.sites where !site.isPull {
            guard let fields = catalog.providers[site.provider]?.siteConfig.filter(\.dataPath), !fields.isEmpty else { continue }
            var resolved = site
            for field in fields {
                guard case .string(let path)? = site.config[field.name], !path.isEmpty, !path.hasPrefix("/") else { continue }
                resolved.config[field.name] = .string(base + "/" + (path.hasPrefix("./") ? String(path.dropFirst(2)) : path))
            }
            desired.sites[name] = resolved
        }
    }
}
