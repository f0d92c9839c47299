import Foundation
import Synchronization

/// Named points in apply where a test can make the process die abruptly, to prove crash safety,
/// or stop it, to prove what happens to a paused process.
///
/// Configured by `BALLAST_FAILPOINT=POINT:N[:stop]` (several separated by commas): the Nth time
/// the run reaches POINT, the process is killed with SIGKILL — no cleanup, no flushing, exactly
/// as `kill -9` would — or, with `:stop`, stopped with SIGSTOP, as a GC pause or a VM migration
/// would, until a SIGCONT. Points: `before-intent`, `after-intent`, `after-provider` (any call),
/// `after-provider-create`, `after-provider-update`, `after-provider-delete`, `after-outcome`.
public final class Failpoints: Sendable {
    public static let points = ["before-intent", "after-intent", "after-provider", "after-provider-create", "after-provider-update", "after-provider-delete", "after-outcome"]

    private let triggers: [String: (count: Int, signal: Int32)]
    private let counts = Mutex<[String: Int]>([:])
    private let raise: @Sendable (Int32) -> Void

    public init(triggers: [String: (count: Int, signal: Int32)] = [:], raise: @escaping @Sendable (Int32) -> Void = { Foundation.kill(getpid(), $0) }) {
        self.triggers = triggers
        self.raise = raise
    }

    /// Parses `POINT:N[:stop][,…]`; a message for a malformed value.
    public static func parse(_ text: String?) -> Result<Failpoints, FailpointError> {
        guard let text, !text.isEmpty else { return .success(Failpoints()) }
        var triggers: [String: (count: Int, signal: Int32)] = [:]
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: ":")
            guard (2...3).contains(pieces.count), points.contains(String(pieces[0])), let count = Int(pieces[1]), count > 0,
                  pieces.count == 2 || pieces[2] == "stop" else {
                return .failure(FailpointError(message: "BALLAST_FAILPOINT '\(part)' is not POINT:N or POINT:N:stop with POINT one of \(points.joined(separator: ", "))"))
            }
            triggers[String(pieces[0])] = (count, pieces.count == 3 ? SIGSTOP : SIGKILL)
        }
        return .success(Failpoints(triggers: triggers))
    }

    public var isEmpty: Bool { triggers.isEmpty }

    /// Counts a visit to `point`; kills (or stops) the process when its trigger count is reached.
    public func reach(_ point: String) {
        guard let trigger = triggers[point] else { return }
        let count = counts.withLock { counts -> Int in
            counts[point, default: 0] += 1
            return counts[point]!
        }
        if count == trigger.count { raise(trigger.signal) }
    }
}

public struct FailpointError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
