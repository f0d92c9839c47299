import BallastCore

/// What a plugin says it can do beyond the required methods, in its handshake answer's
/// `capabilities` (docs/provider-protocol.md). Anything not said is not done.
struct PluginCapabilities: Sendable, Hashable {
    /// It sends `changed` notifications.
    var changes = false
    /// It answers `list`: every resource of its kinds on a site.
    var list = false

    init(changes: Bool = false, list: Bool = false) {
        self.changes = changes
        self.list = list
    }

    init(_ value: Value?) {
        changes = value?.fieldsValue?["changes"]?.boolValue ?? false
        list = value?.fieldsValue?["list"]?.boolValue ?? false
    }
}
