import Foundation

/// What Linux says about a process's run state (`/proc/PID/stat`, field 3).
public enum ProcessState {
    /// The state letter: R running, S sleeping, T stopped, Z zombie…; nil when the process is gone.
    public static func letter(_ pid: Int32) -> Character? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].first { $0 != " " }
    }

    /// Stopped by SIGSTOP (or a debugger).
    public static func isStopped(_ pid: Int32) -> Bool {
        letter(pid) == "T" || letter(pid) == "t"
    }
}
