import BallastCore
import Foundation

extension HostScripts {
    /// Observes a file or directory Ballast did not write, by its path relative to the root
    /// (``HostListing``), printing what ``observeIndexed(index:id:)`` prints.
    static func observePath(index: Int, kind: String, relative: String) -> String {
        let test = kind == "File" ? "-f" : "-d"
        let written = q(Data(relative.utf8).base64EncodedString())
        let line = kind == "File"
            ? #"printf '%s|file|%s|%s|%s\n' \#(index) "$(stat -c %a -- "$p")" \#(written) "$(base64 -w0 < "$p")""#
            : #"printf '%s|dir|%s|%s\n' \#(index) "$(stat -c %a -- "$p")" \#(written)"#
        return """
        p=$(realpath -m -- "$R"/\(q(relative)))
        if inside "$p" && [ ! -L "$R"/\(q(relative)) ] && [ \(test) "$p" ]; then \(line); fi

        """
    }

    /// Removes a file or directory Ballast adopted but never wrote (no index), by its path
    /// relative to the root.
    static func removePath(kind: String, relative: String) -> String {
        let flag = kind == "File" ? "f" : "d"
        return """
        p=$(realpath -m -- "$R"/\(q(relative)))
        if inside "$p" && [ ! -L "$R"/\(q(relative)) ] && [ -\(flag) "$p" ]; then \(removal(kind: kind)); fi

        """
    }

    /// Lists what lies under the root (``HostListing/parse(_:site:)`` reads it): `root|R-BASE64`;
    /// `idx|KIND.NAME|TARGET-BASE64` for each path Ballast wrote; `file|MODE|PATH-BASE64` for
    /// each regular file and `dir|MODE|PATH-BASE64` for each empty directory (paths relative to
    /// the root; symbolic links and Ballast's own `.ballast-host` are skipped); and
    /// `proc|NAME|PID|SPEC-BASE64` for each live process Ballast started.
    static func list() -> String {
        #"""
        [ -d "$R" ] || exit 0
        printf 'root|%s\n' "$(printf '%s' "$R" | base64 -w0)"
        for t in "$SD"/*.target; do
          [ -f "$t" ] || continue
          b=${t##*/}
          printf 'idx|%s|%s\n' "${b%.target}" "$(realpath -m -- "$(cat "$t")" | tr -d '\n' | base64 -w0)"
        done
        find "$R" -mindepth 1 -name .ballast-host -prune -o \( -type f -o -type d -empty \) -exec sh -c '
          r=$1; shift
          for p do
            if [ -d "$p" ]; then k=dir; else k=file; fi
            printf "%s|%s|%s\n" "$k" "$(stat -c %a -- "$p")" "$(printf "%s" "${p#"$r"/}" | base64 -w0)"
          done' sh "$R" {} +
        for f in "$SD"/Process.*.pid; do
          [ -f "$f" ] || continue
          b=${f##*/}; n=${b#Process.}; n=${n%.pid}
          pid=$(cat "$f")
          state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
          if [ -n "$state" ] && [ "$state" != Z ]; then printf 'proc|%s|%s|%s\n' "$n" "$pid" "$(cat "$SD/Process.$n.spec")"; fi
        done

        """#
    }
}
