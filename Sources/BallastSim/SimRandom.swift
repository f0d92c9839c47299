import Synchronization

/// The random source of sim's failure injection: the system's, or a seeded one
/// (`BALLAST_SIM_SEED`) so that a demo or test fails the same way every time.
public final class SimRandom: Sendable {
    private let seeded: Bool
    private let state: Mutex<UInt64>

    public init(seed: UInt64?) {
        seeded = seed != nil
        state = Mutex(seed ?? 0)
    }

    /// A uniform number in 0..<1.
    public func next() -> Double {
        guard seeded else { return Double.random(in: 0..<1) }
        let bits = state.withLock { value -> UInt64 in
            value &+= 0x9E37_79B9_7F4A_7C15
            var z = value
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return Double(bits >> 11) / Double(1 << 53)
    }
}
