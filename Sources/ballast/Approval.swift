import ArgumentParser
import Foundation

/// Asking for approval before changing anything.
enum Approval {
    static func confirm(autoApprove: Bool, verb: String) throws {
        if autoApprove { return }
        guard Terminal.inputIsTerminal else {
            Terminal.standardError("ballast: error: \(verb) needs confirmation, but standard input is not a terminal; pass --auto-approve to \(verb) without asking\n")
            throw ExitCode.failure
        }
        Terminal.standardOutput("\nDo you want to \(verb) these changes? Only 'yes' will be accepted: ")
        guard readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
            Terminal.standardOutput("\(verb.capitalized) cancelled.\n")
            throw ExitCode.failure
        }
    }
}
