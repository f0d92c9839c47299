import BallastCore
import BallastProviders
import Foundation

/// Observes every file and directory of one site in one script that starts a constant number
/// of processes, however many there are: shell built-ins read Ballast's index, then one
/// `realpath`, one `stat`, one `sha256sum` and one `cat | base64` pass cover them all. The
/// per-resource script (``HostScripts/observeIndexed(index:id:)``) spawned five processes per
/// file.
///
/// Content is read only where it may have changed: a file whose SHA-256 equals the one Ballast
/// recorded when it wrote the file (`$SD/File.NAME.sha256`) is reported by digest, without its
/// content (``FieldSchema/digestOutput``; the planner fills it in, ``DigestedFields``). A file
/// changed on the host, or one without a recorded digest, is read, so that a plan shows the diff.
///
/// The passes are lined up by line: one line per resource in each. A path that would break
/// that (a symbolic link whose target holds a newline), or a file that changes between the
/// passes, makes the script exit 75, or the parse fail, and the caller observes the
/// per-resource way instead.
enum HostBatchObserve {
    /// The exit status that asks for the per-resource way.
    static let misaligned: Int32 = 75
    /// From how many files and directories the batch is cheaper than one at a time (each file
    /// costs five processes alone; the batch about twenty in all).
    static let threshold = 4

    static func script(_ targets: [Int: ResourceID]) -> String {
        var script = #"""
        T=$(mktemp -d) || exit 1
        trap 'rm -rf -- "$T"' EXIT
        : > "$T/ids"; : > "$T/targets"
        o() {
          [ -f "$SD/$3.target" ] || return 0
          t=; { IFS= read -r t || [ -n "$t" ]; } < "$SD/$3.target"
          w=; { IFS= read -r w || [ -n "$w" ]; } < "$SD/$3.path" 2>/dev/null
          d=; [ -f "$SD/$3.sha256" ] && { IFS= read -r d || [ -n "$d" ]; } < "$SD/$3.sha256"
          printf '%s|%s|%s|%s\n' "$1" "$2" "$d" "$w" >> "$T/ids"
          printf '%s\n' "$t" >> "$T/targets"
        }

        """#
        for (index, id) in targets.sorted(by: { $0.key < $1.key }) {
            script += "o \(index) \(id.kind) \(HostScripts.q("\(id.kind).\(id.name)"))\n"
        }
        script += #"""
        [ -s "$T/ids" ] || exit 0
        lines() { wc -l < "$1" | tr -d ' '; }
        xargs -r -d '\n' realpath -m -- < "$T/targets" > "$T/reals" || exit 75
        [ "$(lines "$T/reals")" = "$(lines "$T/ids")" ] || exit 75
        : > "$T/keep"; : > "$T/paths"; : > "$T/files"; : > "$T/stored"
        while IFS= read -r p <&3 && IFS= read -r line <&4; do
          case "$p" in "$R"|"$R"/*) ;; *) continue;; esac
          k=${line#*|}; k=${k%%|*}
          if [ "$k" = File ]; then
            [ -f "$p" ] || continue
            printf '%s\n' "$p" >> "$T/files"
            d=${line#*|*|}; printf '%s\n' "${d%%|*}" >> "$T/stored"
          elif [ "$k" = Directory ]; then
            [ -d "$p" ] || continue
          else
            continue
          fi
          printf '%s\n' "$line" >> "$T/keep"
          printf '%s\n' "$p" >> "$T/paths"
        done 3< "$T/reals" 4< "$T/ids"
        [ -s "$T/keep" ] || exit 0
        xargs -r -d '\n' stat -c '%a %s' -- < "$T/paths" > "$T/stats" || exit 75
        [ "$(lines "$T/stats")" = "$(lines "$T/keep")" ] || exit 75
        : > "$T/sums"; : > "$T/marks"; : > "$T/fetch"
        if [ -s "$T/files" ]; then
          xargs -r -d '\n' sha256sum -- < "$T/files" > "$T/sums" || exit 75
          [ "$(lines "$T/sums")" = "$(lines "$T/files")" ] || exit 75
          while IFS= read -r s <&3 && IFS= read -r d <&4 && IFS= read -r f <&5; do
            h=${s#\\}; h=${h%% *}
            if [ -n "$d" ] && [ "$h" = "$d" ]; then
              printf '%s 0\n' "$h" >> "$T/marks"
            else
              printf '%s 1\n' "$h" >> "$T/marks"; printf '%s\n' "$f" >> "$T/fetch"
            fi
          done 3< "$T/sums" 4< "$T/stored" 5< "$T/files"
          [ "$(lines "$T/marks")" = "$(lines "$T/files")" ] || exit 75
        fi
        echo '#keep'; cat "$T/keep"
        echo '#stats'; cat "$T/stats"
        echo '#digests'; cat "$T/marks"
        echo '#content'; xargs -r -d '\n' cat -- < "$T/fetch" | base64 -w0; echo

        """#
        return script
    }

    /// The script's output read back; nil when the passes do not line up (a file changed
    /// meanwhile), and the caller observes the per-resource way.
    static func parse(_ output: String, targets: [Int: ResourceID]) -> [ResourceID: Observed]? {
        var section = ""
        var keep: [String] = []
        var stats: [String] = []
        var digests: [String] = []
        var content = ""
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("#") && ["#keep", "#stats", "#digests", "#content"].contains(String(line)) {
                section = String(line)
                continue
            }
            switch section {
            case "#keep": keep.append(String(line))
            case "#stats": stats.append(String(line))
            case "#digests": if !line.isEmpty { digests.append(String(line)) }
            case "#content": content += line
            default: continue
            }
        }
        if output.isEmpty { return [:] }
        guard keep.count == stats.count, let blob = Data(base64Encoded: content) else { return nil }
        var observed: [ResourceID: Observed] = [:]
        var offset = 0
        var digestLines = digests.makeIterator()
        for (entry, stat) in zip(keep, stats) {
            let parts = entry.split(separator: "|", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            let figures = stat.split(separator: " ")
            guard parts.count == 4, let index = Int(parts[0]), let id = targets[index], figures.count == 2, let size = Int(figures[1]) else { return nil }
            let mode = HostScripts.mode(String(figures[0]))
            let path = parts[3]
            if parts[1] == "File" {
                guard let mark = digestLines.next()?.split(separator: " "), mark.count == 2, mark[0].count == 64 else { return nil }
                let digest = String(mark[0])
                var spec = Fields(["path": .string(path), "mode": .string(mode)])
                if mark[1] == "1" {
                    guard offset + size <= blob.count else { return nil }
                    let text = String(decoding: blob[offset..<(offset + size)], as: UTF8.self)
                    offset += size
                    // Read after its digest was taken: changed in between, it is read again.
                    guard SpecDigest.digest(text) == digest else { return nil }
                    spec["content"] = .string(text)
                }
                observed[id] = Observed(id: id, spec: spec, outputs: Fields(["sha256": .string(digest)]), revision: String(digest.prefix(16)) + mode)
            } else {
                observed[id] = Observed(id: id, spec: Fields(["path": .string(path), "mode": .string(mode)]), revision: mode)
            }
        }
        // Every byte and every digest is accounted for, or a file changed between the passes.
        return offset == blob.count && digestLines.next() == nil ? observed : nil
    }
}
