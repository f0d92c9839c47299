import ArgumentParser
import BallastCore
import BallastEngine
import Foundation

/// Terminal input and output.
enum Terminal {
    /// Whether colour is on for standard output, and for standard error: not with NO_COLOR or
    /// TERM=dumb, and only on a terminal. Decided once: every line printed asks.
    static let colourEnabled = colourAllowed(on: STDOUT_FILENO)
    static let errorColourEnabled = colourAllowed(on: STDERR_FILENO)

    private static func colourAllowed(on descriptor: Int32) -> Bool {
        let environment = ProcessInfo.processInfo.environment
        if let noColour = environment["NO_COLOR"], !noColour.isEmpty { return false }
        if environment["TERM"] == "dumb" { return false }
        return isatty(descriptor) == 1
    }

    static var style: TerminalStyle { TerminalStyle(enabled: colourEnabled) }
    static var inputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }
    static var errorIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Everything Ballast prints goes through here and ``standardOutput(_:)``: escaped by the
    /// one rule (``TerminalText``), whoever rendered it.
    static func standardError(_ text: String) {
        StandardStreams.writeError(TerminalText.escaping(text, keepingStyle: errorColourEnabled))
    }

    static func standardOutput(_ text: String) {
        StandardStreams.writeOutput(TerminalText.escaping(text, keepingStyle: colourEnabled))
    }

    /// Standard input to its end, or to one byte past the manifest size limit (which the
    /// loader then reports): `ballast validate - < /dev/zero` ends instead of filling memory.
    static func readStandardInput() -> [UInt8] {
        FileContents.readToEnd(descriptor: 0, limit: YAMLLimits.default.maxInputBytes)
    }

    static func report(_ diagnostics: Diagnostics, files: SourceFiles) {
        let text = DiagnosticRenderer(files: files).render(diagnostics)
        if !text.isEmpty { standardError(text) }
    }

    static func reportRecovery(_ report: Recovery.Report) {
        guard !report.isEmpty else { return }
        var parts: [String] = []
        if !report.adopted.isEmpty { parts.append("adopted \(report.adopted.map(\.description).joined(separator: ", "))") }
        if !report.abandoned.isEmpty { parts.append("will redo \(report.abandoned.map(\.description).joined(separator: ", "))") }
        if !report.forgotten.isEmpty { parts.append("finished deleting \(report.forgotten.map(\.description).joined(separator: ", "))") }
        if !report.pending.isEmpty { parts.append("left open (site unavailable) \(report.pending.map(\.description).joined(separator: ", "))") }
        standardError("ballast: warning: recovered an interrupted run: \(parts.joined(separator: "; "))\n")
    }

    /// A duration option's value (``DurationText/parse(_:)``).
    static func duration(_ text: String) -> Duration? {
        DurationText.parse(text)
    }

    /// The one check of a duration option: the error names the option, the value given and the
    /// form expected.
    @discardableResult
    static func requireDuration(_ text: String, option: String, atLeast minimum: Duration = .zero) throws -> Duration {
        guard let duration = duration(text), duration >= minimum else {
            let floor = minimum > .zero ? " of at least \(minimum.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow)))" : ""
            let examples = ["30s", "2m", "500ms"].filter { (duration($0) ?? .zero) >= minimum }
            throw ValidationError("\(option) takes a duration\(floor) such as \(examples.dropLast().joined(separator: ", ")) or \(examples.last ?? "2m") (got '\(text)')")
        }
        return duration
    }

    /// The one check of a count option: a whole number in `range`.
    static func requireCount(_ value: Int, option: String, in range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw ValidationError("\(option) takes a whole number from \(range.lowerBound) to \(range.upperBound) (got \(value))")
        }
    }
}
