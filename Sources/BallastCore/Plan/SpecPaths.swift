/// Reads and writes values at spec paths: dotted names, `[index]` for list items
/// (`routes[0]`, `backups.retentionDays`).
public enum SpecPaths {
    public static func value(at path: String, in fields: Fields) -> Value? {
        SpecResolver.value(at: path, in: fields)
    }

    public static func setting(_ value: Value, at path: String, in fields: Fields) -> Fields {
        var copy = fields
        SpecResolver.set(value, at: path, in: &copy)
        return copy
    }
}
