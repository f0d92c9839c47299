import BallastProviders
import Foundation

/// Several writes to one site in one script, so that N writes cost one round trip (over SSH) and
/// one shell, not N. Each write runs in its own subshell, as it would alone: its `exit` ends
/// only itself, and its status, standard output and standard error come back as its own
/// ``HostResult``. A failing write does not stop the ones after it.
///
/// After each write the script prints an end line, `#ballast-end|I|STATUS|STDERR-BASE64`, on a
/// line of its own; what the write printed before it is that write's output. Writes print only
/// `INDEX|…` lines (``HostScripts``) whose values are base64, so no output can forge an end line.
enum HostWriteBatch {
    static let endMarker = "#ballast-end|"

    /// The script for `bodies`, each a write followed by its read-back, as the single-write path
    /// would send after the prelude.
    static func script(prelude: String, bodies: [String]) -> String {
        var script = prelude + #"""
        E=$(mktemp) || exit 1
        trap 'rm -f -- "$E"' EXIT

        """#
        for (index, body) in bodies.enumerated() {
            script += "(\n\(body)\n) 2> \"$E\"\n"
            script += #"s=$?; printf '\n\#(endMarker)%s|%s|%s\n' \#(index) "$s" "$(base64 -w0 < "$E")""# + "\n"
        }
        return script
    }

    /// Each write's result, in order; nil when the output does not hold one end line per write,
    /// in order (the script was cut short: the whole batch failed).
    static func parse(_ output: String, count: Int) -> [HostResult]? {
        var results: [HostResult] = []
        var lines: [Substring] = []
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix(endMarker) else {
                lines.append(line)
                continue
            }
            let parts = line.dropFirst(endMarker.count).split(separator: "|", omittingEmptySubsequences: false)
            guard parts.count == 3, Int(parts[0]) == results.count, let status = Int32(parts[1]),
                  let errors = Data(base64Encoded: String(parts[2])) else { return nil }
            // The end line's own leading newline ends the write's last line.
            if lines.last?.isEmpty == true { lines.removeLast() }
            results.append(HostResult(status: status, output: lines.joined(separator: "\n"), errors: String(decoding: errors, as: UTF8.self)))
            lines = []
        }
        return results.count == count ? results : nil
    }
}
