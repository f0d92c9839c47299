import Foundation
import Synchronization

/// Named points in apply where a test can make the process die abruptly, to prove crash safety.
///
/// Configured by `BALLAST_FAILPOINT=POINT:N` (several separated by commas): the Nth time the
/// run reaches POINT, the process is killed with SIGKILL — no cleanup, no flushing, exactly as
/// `kill -9` would. Points: `before-intent`, `after-intent`, `after-provider` (any call),
/// `after-provider-create`, `after-provider-update`, `after-provider-delete`, `after-outcome`.
public final class Failpoints: Sendable {
    public static let points = ["before-intent", "after-intent", "after-provider", "after-provider-create", "after-provider-update", "after-provider-delete", "after-outcome"]

    private let triggers: [String: Int]
    private let counts = Mutex<[String: Int]>([:])
    private let kill: @Sendable () -> Void

    public init(triggers: [String: Int] = [:], kill: @escaping @Sendable () -> Void = { Foundation.kill(getpid(), SIGKILL) }) {
        self.triggers = triggers
        self.kill = kill
    }

    /// Parses `POINT:N[,POINT:N…]`; nil with a message for a malformed value.
    public static func parse(_ text: String?) -> Result<Failpoints, FailpointError> {
        guard let text, !text.isEmpty else { return .success(Failpoints()) }
        var triggers: [String: Int] = [:]
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: ":")
            guard pieces.count == 2, points.contains(String(pieces[0])), let count = Int(pieces[1]), count > 0 else {
                return .failure(FailpointError(message: "BALLAST_FAILPOINT '\(part)' is not POINT:N with POINT one of \(points.joined(separator: ", "))"))
            }
            triggers[String(pieces[0])] = count
        }
        return .success(Failpoints(triggers: triggers))
    }

    public var isEmpty: Bool { triggers.isEmpty }

    /// Counts a visit to `point`; kills the process when its trigger count is reached.
    public func reach(_ point: String) {
        guard let trigger = triggers[point] else { return }
        let count = counts.withLock { counts -> Int in
            counts[point, default: 0] += 1
            return counts[point]!
        }
        if count == trigger { kill() }
    }
}

public struct FailpointError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
