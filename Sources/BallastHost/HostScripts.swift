import BallastCore
import BallastProviders
import Foundation

/// The shell scripts the host provider sends. Every manifest value is single-quoted
/// (``ShellQuote``) or base64-encoded; the scripts use POSIX sh and coreutils only.
///
/// Observe prints one line per resource found: `INDEX|file|MODE|BASE64`, `INDEX|dir|MODE`,
/// `INDEX|proc|PID|SPEC-BASE64`. Mutations exit 3 when a path leaves the root (after symlinks)
/// or a file Ballast did not write is in the way,
/// 4 for a directory that is not empty (retried: in a destroy its files may still be going),
/// 5 for a process that dies at once.
enum HostScripts {
    static func q(_ value: String) -> String { ShellQuote.quote(value) }

    static func prelude(root: String) -> String {
        """
        set -u
        umask 022
        R=$(realpath -m -- \(q(root)))
        SD="$R/.ballast-host"
        inside() { case "$1" in "$R"|"$R"/*) return 0;; *) return 1;; esac; }

        """
    }

    static func index(_ id: ResourceID) -> String { "\"$SD\"/\(q("\(id.kind).\(id.name)"))" }

    static func observeIndexed(index: Int, id: ResourceID) -> String {
        let test = id.kind == "File" ? "-f" : "-d"
        let line = id.kind == "File"
            ? #"printf '%s|file|%s|%s|%s\n' \#(index) "$(stat -c %a -- "$p")" "$(base64 -w0 < \#(self.index(id)).path)" "$(base64 -w0 < "$p")""#
            : #"printf '%s|dir|%s|%s\n' \#(index) "$(stat -c %a -- "$p")" "$(base64 -w0 < \#(self.index(id)).path)""#
        return """
        if [ -f \(self.index(id)).target ]; then
          p=$(realpath -m -- "$(cat \(self.index(id)).target)")
          if inside "$p" && [ \(test) "$p" ]; then \(line); fi
        fi

        """
    }

    static func observeProcess(index: Int, name: String) -> String {
        let base = "\"$SD\"/\(q("Process.\(name)"))"
        return """
        if [ -f \(base).pid ]; then
          pid=$(cat \(base).pid)
          state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
          if [ -n "$state" ] && [ "$state" != Z ]; then printf '%s|proc|%s|%s\\n' \(index) "$pid" "$(cat \(base).spec)"; fi
        fi

        """
    }

    static func parse(_ parts: [String], id: ResourceID) -> Observed? {
        switch parts[1] {
        case "file" where parts.count >= 5:
            guard let path = Data(base64Encoded: parts[3]), let data = Data(base64Encoded: parts[4]) else { return nil }
            let content = String(decoding: data, as: UTF8.self)
            let digest = SpecDigest.digest(content)
            let spec = Fields(["path": .string(String(decoding: path, as: UTF8.self)), "content": .string(content), "mode": .string(mode(parts[2]))])
            return Observed(id: id, spec: spec, outputs: Fields(["sha256": .string(digest)]), revision: String(digest.prefix(16)) + mode(parts[2]))
        case "dir" where parts.count >= 4:
            guard let path = Data(base64Encoded: parts[3]) else { return nil }
            return Observed(id: id, spec: Fields(["path": .string(String(decoding: path, as: UTF8.self)), "mode": .string(mode(parts[2]))]), revision: mode(parts[2]))
        case "proc" where parts.count >= 4:
            guard let pid = Int(parts[2]), let data = Data(base64Encoded: parts[3]), case .map(let spec)? = try? JSONValueParser.parse(Array(data)) else { return nil }
            return Observed(id: id, spec: spec, outputs: Fields(["pid": .int(pid)]), revision: String(pid))
        default:
            return nil
        }
    }

    /// `644` → `0644`.
    static func mode(_ text: String) -> String {
        String(repeating: "0", count: max(0, 4 - text.count)) + text
    }

    static func checkedMode(_ spec: Fields, default fallback: String, id: ResourceID) throws(ProviderError) -> String {
        let mode = spec["mode"]?.stringValue ?? fallback
        guard mode.count == 4, mode.allSatisfy({ ("0"..."7").contains($0) }) else {
            throw ProviderError(.invalid, "\(id): mode '\(mode)' is not four octal digits such as 0644", id: id)
        }
        return mode
    }

    /// Writes a resource. `managed` says Ballast manages it already (an update): a file there
    /// is then its own even without an index (one it adopted with `import`).
    static func put(_ resource: ResolvedResource, root: String, managed: Bool = false) throws(ProviderError) -> String {
        let id = resource.id
        let spec = resource.spec
        let escape = #"{ echo "the path leaves the site's root through a symlink" >&2; exit 3; }"#
        switch id.kind {
        case "File", "Directory":
            let written = spec["path"]?.stringValue ?? ""
            let path = try HostPaths.confine(written, root: root, field: "\(id) spec.path")
            let isFile = id.kind == "File"
            let mode = try checkedMode(spec, default: isFile ? "0644" : "0755", id: id)
            var script = """
            mkdir -p "$SD"
            p=$(realpath -m -- \(q(path)))
            inside "$p" || \(escape)

            """
            if isFile {
                guard spec["content"] != nil else { throw ProviderError(.invalid, "\(id): set spec.content or spec.source", id: id) }
                let content = Data((spec["content"]?.stringValue ?? "").utf8).base64EncodedString()
                script += """
                mkdir -p -- "$(dirname -- "$p")"
                t="$p.ballast-tmp.$$.${W:-0}"
                printf '%s' \(q(content)) | base64 -d > "$t"
                # Never overwrite a file Ballast did not write (unless it already holds this content).
                if \(managed ? "false" : "true") && [ -e "$p" ] && [ ! -f \(index(id)).target ] && ! cmp -s -- "$t" "$p"; then
                  rm -f -- "$t"; echo "$p already exists and Ballast did not write it; move it away first" >&2; exit 3
                fi
                chmod \(mode) "$t"
                mv -f -- "$t" "$p"

                """
            } else {
                script += "mkdir -p -- \"$p\"\nchmod \(mode) \"$p\"\n"
            }
            // The index keeps the path as the manifest wrote it (observe reports it back), the
            // resolved one (what is read and removed) and, for a file, the SHA-256 of what was
            // written (observe reads a file's content only when it no longer matches).
            if isFile { script += "printf '%s' \(SpecDigest.digest(spec["content"]?.stringValue ?? "")) > \(index(id)).sha256\n" }
            return script + "printf '%s' \(q(written)) > \(index(id)).path\nprintf '%s' \(q(path)) > \(index(id)).target\n"
        case "Process":
            return try startProcess(resource, root: root)
        default:
            throw ProviderError(.invalid, "the host provider has no kind \(id.kind)", id: id)
        }
    }

    static func startProcess(_ resource: ResolvedResource, root: String) throws(ProviderError) -> String {
        let id = resource.id
        let spec = resource.spec
        guard let command = spec["command"]?.stringValue, !command.isEmpty else { throw ProviderError(.invalid, "\(id): spec.command is required", id: id) }
        var args: [String] = []
        if case .list(let items)? = spec["args"] { args = items.map { $0.stringValue ?? JSONText.string($0) } }
        var environment: [String] = []
        for entry in spec["env"]?.fieldsValue ?? Fields() {
            guard let first = entry.key.first, first == "_" || first.isLetter, entry.key.allSatisfy({ $0 == "_" || $0.isLetter || $0.isNumber }), entry.key.allSatisfy(\.isASCII) else {
                throw ProviderError(.invalid, "\(id): env name '\(entry.key)' is not a variable name", id: id)
            }
            environment.append(q("\(entry.key)=\(entry.value.stringValue ?? JSONText.string(entry.value))"))
        }
        let workingDir = try HostPaths.confine(spec["workingDir"]?.stringValue ?? ".", root: root, field: "\(id) spec.workingDir")
        let recorded = Data(JSONText.string(.map(spec)).utf8).base64EncodedString()
        let base = "\"$SD\"/\(q("Process.\(id.name)"))"
        let words = ([command] + args).map(q).joined(separator: " ")
        return """
        mkdir -p "$SD"
        w=$(realpath -m -- \(q(workingDir)))
        inside "$w" || { echo "workingDir leaves the site's root through a symlink" >&2; exit 3; }
        mkdir -p -- "$w"
        if [ -f \(base).pid ] && kill -0 "$(cat \(base).pid)" 2>/dev/null; then kill "$(cat \(base).pid)" 2>/dev/null || true; sleep 0.2; fi
        cd -- "$w"
        env -- \(environment.joined(separator: " ")) setsid nohup \(words) > \(base).log 2>&1 < /dev/null &
        pid=$!
        echo "$pid" > \(base).pid
        printf '%s' \(q(recorded)) > \(base).spec
        sleep 0.2
        if ! kill -0 "$pid" 2>/dev/null; then echo "the process exited at once; the end of its log:" >&2; tail -n 5 \(base).log >&2; rm -f \(base).pid; exit 5; fi

        """
    }

    /// The command that removes the file or directory at `$p`.
    static func removal(kind: String) -> String {
        kind == "File"
            ? #"rm -f -- "$p""#
            : #"rmdir -- "$p" 2>/dev/null || { echo "the directory is not empty; Ballast removes only empty directories" >&2; exit 4; }"#
    }

    static func remove(_ id: ResourceID) -> String {
        switch id.kind {
        case "Process":
            let base = "\"$SD\"/\(q("Process.\(id.name)"))"
            return """
            if [ -f \(base).pid ]; then
              pid=$(cat \(base).pid)
              kill "$pid" 2>/dev/null || true
              i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
              kill -9 "$pid" 2>/dev/null || true
            fi
            rm -f \(base).pid \(base).spec

            """
        default:
            let flag = id.kind == "File" ? "f" : "d"
            let removal = removal(kind: id.kind)
            return """
            if [ -f \(index(id)).target ]; then
              p=$(realpath -m -- "$(cat \(index(id)).target)")
              if inside "$p" && [ -\(flag) "$p" ]; then \(removal); fi
              rm -f \(index(id)).path \(index(id)).target \(index(id)).sha256
            fi

            """
        }
    }
}
