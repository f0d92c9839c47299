import BallastCore
import BallastProviders

/// Path arithmetic done before anything reaches a host: normalisation and root confinement.
enum HostPaths {
    /// The absolute path for a spec path, refused when it leaves `root`.
    static func confine(_ path: String, root: String, field: String) throws(ProviderError) -> String {
        guard !path.isEmpty, !path.contains("\0") else { throw ProviderError(.invalid, "\(field) is empty or holds a NUL byte") }
        guard let absolute = PathConfinement.resolve(path, under: root) else {
            throw ProviderError(.invalid, "\(field) '\(path)' resolves outside the site's root \(root)")
        }
        guard !absolute.hasPrefix(root + "/.ballast-host") else {
            throw ProviderError(.invalid, "\(field) '\(path)' is inside \(root)/.ballast-host, which Ballast keeps for itself")
        }
        return absolute
    }
}
