import BallastCore
import BallastEngine
import Foundation
import Synchronization

/// Prints one line per finished action (`+ Database/orders@eu-central created (1.2s)`), and on
/// a terminal a live `[12/40] 3 running` counter on standard error.
final class ProgressPrinter: ApplyProgress {
    private let style: TerminalStyle
    private let live: Bool
    private let lock = Mutex(())

    init(style: TerminalStyle, live: Bool) {
        self.style = style
        self.live = live
    }

    func started(_ id: ResourceID, action: Action, completed: Int, running: Int, total: Int) {
        counter(completed: completed, running: running, total: total)
    }

    func finished(_ result: ActionResult, completed: Int, running: Int, total: Int) {
        lock.withLock { _ in
            if live { Terminal.standardError("\r\u{1B}[K") }
            Terminal.standardOutput(Self.line(result, style: style) + "\n")
        }
        counter(completed: completed, running: running, total: total)
    }

    private func counter(completed: Int, running: Int, total: Int) {
        guard live else { return }
        lock.withLock { _ in Terminal.standardError("\r\u{1B}[K[\(completed)/\(total)] \(running) running") }
    }

    func done() {
        if live { Terminal.standardError("\r\u{1B}[K") }
    }

    static func line(_ result: ActionResult, style: TerminalStyle) -> String {
        let seconds = Double(result.duration.components.seconds) + Double(result.duration.components.attoseconds) / 1e18
        let time = String(format: "(%.1fs)", seconds)
        switch result.status {
        case .applied:
            let verb: String = switch result.action {
            case .create: "created"
            case .update: "updated"
            case .replace: "replaced"
            case .delete: "deleted"
            case .noop: "unchanged"
            }
            let retried = result.attempts > 1 ? ", \(result.attempts) attempts" : ""
            return style.action(result.action, "\(result.action.symbol) \(result.id)") + " \(verb) \(time.dropLast())\(retried))"
        case .failed:
            return style.red("! \(result.id) \(result.action.rawValue) failed") + " \(time): \(result.error ?? "unknown error")"
        case .skipped:
            return style.dim("  \(result.id) skipped: \(result.skipReason ?? "")")
        }
    }
}
