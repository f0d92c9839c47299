import BallastCore
@testable import BallastEngine
import Foundation
import Testing

/// A status keeps its four conditions packed (the statuses two bits each): every condition
/// must read back as it was set, whatever is set beside it.
@Suite("resource status")
struct ResourceStatusTests {
    private let id = ResourceID(kind: "Bucket", name: "b", site: "s")

    @Test func aNewStatusIsPendingOnEveryCondition() {
        let start = Date(timeIntervalSince1970: 100)
        let status = ResourceStatus(id: id, declared: true, at: start)
        for kind in ResourceCondition.Kind.allCases {
            #expect(status[kind] == ResourceCondition(kind: kind, status: nil, reason: .pending, message: "not reconciled yet", lastTransitionTime: start))
            #expect(!status.holds(kind))
        }
        #expect(status.summary == "not Ready (Pending): not reconciled yet")
    }

    /// Every combination of the four statuses, set in every order, reads back exactly.
    @Test func eachConditionReadsBackAsSetWhateverTheOthersAre() {
        let values: [Bool?] = [nil, false, true]
        let kinds = ResourceCondition.Kind.allCases
        for combination in 0..<81 {
            var wanted: [ResourceCondition.Kind: Bool?] = [:]
            var rest = combination
            for kind in kinds {
                wanted[kind] = values[rest % 3]
                rest /= 3
            }
            for order in [kinds, kinds.reversed()] {
                var status = ResourceStatus(id: id, declared: false, at: Date(timeIntervalSince1970: 0))
                for kind in order {
                    status.set(kind, wanted[kind]!, reason: ConditionReason(rawValue: "R\(kind.rawValue)"), message: "m \(kind.rawValue)", at: Date(timeIntervalSince1970: 5))
                }
                for kind in kinds {
                    let condition = status[kind]
                    #expect(condition.kind == kind)
                    #expect(condition.status == wanted[kind]!)
                    #expect(condition.reason.rawValue == "R\(kind.rawValue)" && condition.message == "m \(kind.rawValue)")
                    #expect(status.holds(kind) == (wanted[kind]! == true))
                    // The time moves only when the status changed from unknown.
                    #expect(condition.lastTransitionTime == Date(timeIntervalSince1970: wanted[kind]! == nil ? 0 : 5))
                }
                #expect(!status.declared)
            }
        }
    }

    @Test func confirmKeepsTheReasonWhileTheStatusHolds() {
        var status = ResourceStatus(id: id, declared: true, at: Date(timeIntervalSince1970: 0))
        status.set(.ready, true, reason: .healed, at: Date(timeIntervalSince1970: 1))
        status.confirm(.ready, true, reason: .upToDate, at: Date(timeIntervalSince1970: 2))
        #expect(status[.ready].reason == .healed)
        status.confirm(.ready, false, reason: .missing, message: "gone", at: Date(timeIntervalSince1970: 3))
        #expect(status[.ready] == ResourceCondition(kind: .ready, status: false, reason: .missing, message: "gone", lastTransitionTime: Date(timeIntervalSince1970: 3)))
        #expect(status[.synced].status == nil && status[.failed].status == nil && status[.drifted].status == nil)
    }
}
