import BallastCore
import BallastEngine

/// The saved-plan reader (`ballast apply PLANFILE`): any bytes are a plan, a failure or not a
/// plan; never a trap. A plan accepted under one key is refused under another.
enum SavedPlanHarness {
    static let key = Array("fuzz-plan-key-0123456789abcdef!!".utf8)
    static let otherKey = Array("another-plan-key-0123456789abcd".utf8)

    static func run(_ bytes: [UInt8]) {
        guard case .plan = SavedPlanFile.decode(bytes, path: "fuzz.plan", key: key) else { return }
        if case .plan = SavedPlanFile.decode(bytes, path: "fuzz.plan", key: otherKey) {
            Fuzz.require(false, "a plan sealed under one key verified under another")
        }
    }
}
