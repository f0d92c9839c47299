import BallastCore
import Foundation

/// A saved plan on disk: written by `plan --out`, sealed with the state's plan key
/// (``PlanSeal``), and recognised when given to `apply` in place of manifest paths.
public enum SavedPlanFile {
    public enum Result: Sendable {
        case notAPlan
        case plan(Plan, path: String)
        case failure(String)
    }

    /// Writes `plan` sealed under `key`, atomically.
    public static func write(_ plan: Plan, to path: String, key: [UInt8]) throws {
        let text = JSONText.pretty(PlanSeal.seal(plan, key: key))
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Reads a saved plan, or says the paths are not one. A plan whose seal does not verify
    /// under `key` is a failure, whatever it contains. A stream (`<(…)`, a named pipe) is never
    /// a plan: it can be read only once, and its manifests are read from it.
    public static func read(_ paths: [String], key: [UInt8]) -> Result {
        guard paths.count == 1, let path = paths.first, path != "-", !path.hasSuffix(".yaml"), !path.hasSuffix(".yml"),
              !FileContents.isStream(path) else { return .notAPlan }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let data = FileManager.default.contents(atPath: path) else { return .notAPlan }
        return decode([UInt8](data), path: path, key: key)
    }

    /// What ``read(_:key:)`` makes of a file's bytes: a plan whose seal verifies under `key`, a
    /// failure for a plan that is cut short, modified or unsealed, or ``Result/notAPlan`` for
    /// anything else (a JSON or flow-style manifest). Never traps, whatever the bytes.
    public static func decode(_ bytes: [UInt8], path: String, key: [UInt8]) -> Result {
        guard bytes.first(where: { !$0.isWhitespace }) == UInt8(ascii: "{") else { return .notAPlan }
        // JSON is also YAML: a JSON document without formatVersion is a manifest, not a plan.
        guard let parsed = try? JSONValueParser.parse(bytes) else {
            // A flow-style YAML manifest is not JSON either; a plan that was cut short is.
            let head = String(decoding: bytes.prefix(4096), as: UTF8.self)
            guard head.contains("\"formatVersion\"") || head.contains("\"actions\"") else { return .notAPlan }
            return .failure("\(path) looks like a plan file but is not valid JSON (was it cut short?)")
        }
        guard case .map(let root) = parsed, root["formatVersion"] != nil else { return .notAPlan }
        do {
            // The format first (an older Ballast's plan says so), then the seal: nothing of an
            // unsealed or modified plan is used.
            let plan = try PlanJSON.decode(parsed)
            try PlanSeal.verify(parsed, key: key)
            return .plan(plan, path: path)
        } catch {
            return .failure("\(path) is not a usable plan file: \(error)")
        }
    }
}

private extension UInt8 {
    var isWhitespace: Bool { self == 0x20 || self == 0x0A || self == 0x0D || self == 0x09 }
}
