import BallastCore
import Foundation

/// Recognises a saved plan given in place of manifest paths.
enum SavedPlanFile {
    enum Result {
        case notAPlan
        case plan(Plan, path: String)
        case failure(String)
    }

    static func read(_ paths: [String]) -> Result {
        guard paths.count == 1, let path = paths.first, path != "-", !path.hasSuffix(".yaml"), !path.hasSuffix(".yml") else { return .notAPlan }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let data = FileManager.default.contents(atPath: path) else { return .notAPlan }
        guard data.first(where: { !$0.isWhitespace }) == UInt8(ascii: "{") else { return .notAPlan }
        // JSON is also YAML: a JSON document without formatVersion is a manifest, not a plan.
        guard case .map(let root)? = try? JSONValueParser.parse([UInt8](data)), root["formatVersion"] != nil else { return .notAPlan }
        do {
            return .plan(try PlanJSON.decode(.map(root)), path: path)
        } catch {
            return .failure("\(path) is not a usable plan file: \(error)")
        }
    }
}

private extension UInt8 {
    var isWhitespace: Bool { self == 0x20 || self == 0x0A || self == 0x0D || self == 0x09 }
}
