import BallastProviders
import Foundation

/// Several writes to one site in one script, so that N writes cost one round trip (over SSH)
/// and one shell, not N. Each write runs in its own subshell, as it would alone, and they run at
/// the same time, as the executor would have run them one script each: an `exit` ends only its
/// own write, and its status, standard output and standard error come back as its own
/// ``HostResult``. A failing write does not stop the others.
///
/// When all are done the script prints, for each write in order, what it printed and then an end
/// line, `#ballast-end|I|STATUS|STDERR-BASE64`, on a line of its own. Writes print only
/// `INDEX|…` lines (``HostScripts``) whose values are base64, so no output can forge an end line.
enum HostWriteBatch {
    static let endMarker = "#ballast-end|"

    /// The script for `bodies`, each a write followed by its read-back, as the single-write path
    /// would send after the prelude. `W` is set to the write's index in its subshell: writes
    /// name their temporary files with it, since `$$` is the same in every subshell.
    static func script(prelude: String, bodies: [String]) -> String {
        // What the writes print (their read-back holds the files' content) waits in Ballast's
        // own directory on the host, beside the files themselves, not in a shared /tmp. A script
        // killed before its trap ran leaves its directory; the next removes those a day old.
        var script = prelude + #"""
        mkdir -p "$SD" || exit 1
        find "$SD" -maxdepth 1 -name 'write.*' -type d -mmin +1440 -exec rm -rf -- {} + 2>/dev/null
        B=$(mktemp -d "$SD/write.XXXXXX") || exit 1
        trap 'rm -rf -- "$B"' EXIT

        """#
        for (index, body) in bodies.enumerated() {
            script += "{ (\nW=\(index)\n\(body)\n) > \"$B/o\(index)\" 2> \"$B/e\(index)\"; echo $? > \"$B/s\(index)\"; } &\n"
        }
        script += "wait\n"
        script += #"""
        i=0
        while [ $i -lt \#(bodies.count) ]; do
          cat "$B/o$i"
          s=1; [ -f "$B/s$i" ] && read -r s < "$B/s$i"
          e=; [ -s "$B/e$i" ] && e=$(base64 -w0 < "$B/e$i")
          printf '\n\#(endMarker)%s|%s|%s\n' $i "$s" "$e"
          i=$((i+1))
        done

        """#
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
