import ArgumentParser
import Foundation

/// Tokens given to a command: from a file option, else an environment variable.
enum TokenInput {
    /// A token from a file option, else an environment variable; nil when neither is given.
    static func read(file: String?, variable: String, option: String) throws -> String? {
        if let file {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                Terminal.standardError("ballast: error: \(option) \(file) cannot be read\n")
                throw ExitCode.failure
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else {
                Terminal.standardError("ballast: error: \(option) \(file) is empty\n")
                throw ExitCode.failure
            }
            return token
        }
        if let token = ProcessInfo.processInfo.environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty {
            return token
        }
        return nil
    }
}
