import BallastCore
import Foundation

/// A fresh directory under the system temporary directory, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "ballast-test") {
        let base = NSTemporaryDirectory()
        path = (base as NSString).appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8).lowercased())")
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }

    public func write(_ name: String, _ text: String) {
        let full = file(name)
        try? FileManager.default.createDirectory(atPath: PathText.deletingLastComponent(full), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: full, contents: Data(text.utf8))
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
