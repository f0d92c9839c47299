import BallastCore
import Foundation

/// The secret key that seals saved plans and keys the digest of secret values. It lives with the
/// state (`STATE/plan.key`, mode 0600), never in a plan: whoever holds only a plan file can
/// neither forge one nor confirm a guessed secret.
///
/// Commands that may create the state (`apply`, `destroy`, `watch`, `plan --out`) create the key;
/// read-only commands use it when it exists and a throwaway key otherwise.
public enum PlanKey {
    public static let fileName = "plan.key"

    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        case unreadable(path: String, reason: String)

        public var description: String {
            switch self {
            case let .unreadable(path, reason): "the plan key \(path) cannot be used: \(reason)"
            }
        }
    }

    /// The key of the state in `directory`; created when absent and `create` is true, else nil.
    public static func load(stateDirectory directory: String, create: Bool) throws(Failure) -> [UInt8]? {
        let path = directory + "/" + fileName
        if let key = try read(path) { return key }
        guard create else { return nil }
        var generator = SystemRandomNumberGenerator()
        let temporary = try writePrivately((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }, directory: directory)
        defer { unlink(temporary) }
        // Linked into place: of two processes creating it at once, one key wins and both use it.
        if link(temporary, path) != 0 && errno != EEXIST {
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard let stored = try read(path) else { throw .unreadable(path: path, reason: "it vanished while it was created") }
        return stored
    }

    /// Puts `key` in force in `directory`, replacing any other (renamed into place):
    /// `state migrate` carries an estate's key along with it.
    public static func install(_ key: [UInt8], stateDirectory directory: String) throws(Failure) {
        let path = directory + "/" + fileName
        let temporary = try writePrivately(key, directory: directory)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// `key` written whole (and synced) to a new private file (mode 0600) beside the key's
    /// place, so that a reader never sees half a key; returns that file's path.
    private static func writePrivately(_ key: [UInt8], directory: String) throws(Failure) -> String {
        let path = directory + "/" + fileName
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        let temporary = path + ".\(getpid()).\(UInt64.random(in: .min ... .max, using: &generator))"
        let descriptor = open(temporary, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        guard descriptor >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        let text = Array((SpecDigest.hex(key) + "\n").utf8)
        let written = text.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == text.count, synced == 0 else {
            unlink(temporary)
            throw .unreadable(path: path, reason: "could not write it")
        }
        return temporary
    }

    private static func read(_ path: String) throws(Failure) -> [UInt8]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path, reason: "it cannot be read") }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.utf8.count == 64, let key = SpecDigest.bytes(hex: text) else { throw .unreadable(path: path, reason: "it is not 64 hexadecimal digits") }
        return key
    }
}
