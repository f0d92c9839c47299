/// What failover decided in one choice of placements (``PlacementChooser``), beside the
/// instances chosen: for plans, watch mode's conditions, events and metrics.
public struct FailoverReport: Sendable, Hashable {
    /// One instance moved between sites.
    public struct Move: Sendable, Hashable, Comparable {
        public enum Direction: String, Sendable, Hashable {
            /// A replacement is placed on `to` because `from` failed.
            case failover
            /// The replacement on `from` is retired: `to`, its home site, is healthy again.
            case failback
        }

        public var direction: Direction
        /// The manifest, `Kind/name`.
        public var manifest: String
        public var from: String
        public var to: String

        public init(direction: Direction, manifest: String, from: String, to: String) {
            self.direction = direction
            self.manifest = manifest
            self.from = from
            self.to = to
        }

        public static func < (lhs: Move, rhs: Move) -> Bool {
            (lhs.manifest, lhs.from, lhs.to, lhs.direction.rawValue) < (rhs.manifest, rhs.from, rhs.to, rhs.direction.rawValue)
        }
    }

    /// The moves this choice starts, sorted.
    public var moves: [Move] = []
    /// Instances on a failed site that could not move, and why: nothing is deleted for them.
    public var impossible: [ResourceID: String] = [:]
    /// How soon the choice may change with nothing else happening (an outage reaching its
    /// `failoverAfter`, a returning site its healthy time); nil when it cannot.
    public var recheckAfter: Duration?

    public init() {}

    public var isEmpty: Bool { moves.isEmpty && impossible.isEmpty && recheckAfter == nil }

    mutating func recheck(after duration: Duration) {
        let wait = max(duration, .milliseconds(1))
        recheckAfter = min(recheckAfter ?? wait, wait)
    }
}
