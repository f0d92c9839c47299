import BallastEngine
import BallastProviders
import BallastTesting
import Synchronization
import Testing

private let start = ContinuousClock.now

@Suite("Controller building blocks")
struct ControllerTests {
    @Test func backoffDoublesUpToTheCap() {
        let backoff = RetryPolicy.reconcile
        #expect(backoff.delay(afterAttempt: 0) == .zero)
        #expect(backoff.delay(afterAttempt: 1) == .milliseconds(50))
        #expect(backoff.delay(afterAttempt: 2) == .milliseconds(100))
        #expect(backoff.delay(afterAttempt: 5) == .milliseconds(800))
        #expect(backoff.delay(afterAttempt: 14) == .seconds(300))
        #expect(backoff.delay(afterAttempt: 1_000) == .seconds(300))
        // Full jitter stays below the same ceiling.
        #expect(RetryPolicy.providerCalls.delay(afterAttempt: 3, unit: 0.5) == .milliseconds(100))
        #expect(RetryPolicy.providerCalls.delay(afterAttempt: 40, unit: 0.999) < .seconds(2))
        #expect(RetryPolicy.pluginRestart.delay(afterAttempt: 1) == .milliseconds(100))
        #expect(RetryPolicy.pluginRestart.delay(afterAttempt: 20) == .seconds(10))
    }

    @Test func queueDeduplicatesKeys() {
        var queue = WorkQueueState<String>()
        queue.add("a")
        queue.add("b")
        queue.add("a")
        #expect(queue.readyCount == 2)
        #expect(queue.next(now: start) == "a")
        #expect(queue.next(now: start) == "b")
        #expect(queue.next(now: start) == nil)
    }

    @Test func aKeyIsNeverHandedToTwoWorkers() {
        var queue = WorkQueueState<String>()
        queue.add("a")
        #expect(queue.next(now: start) == "a")
        queue.add("a")  // changed again while a worker holds it
        #expect(queue.next(now: start) == nil, "not while the first worker holds it")
        queue.done("a")
        #expect(queue.next(now: start) == "a", "once it is done, the change is reconciled")
        queue.done("a")
        #expect(queue.next(now: start) == nil)
    }

    @Test func failuresBackOffPerKeyAndSuccessResets() {
        var queue = WorkQueueState<String>()
        queue.add("a")
        _ = queue.next(now: start)
        queue.done("a")
        queue.addFailed("a", now: start)
        #expect(queue.next(now: start + .milliseconds(49)) == nil)
        #expect(queue.next(now: start + .milliseconds(50)) == "a")
        queue.done("a")
        queue.addFailed("a", now: start + .milliseconds(50))
        #expect(queue.nextDeadline == start + .milliseconds(150))
        #expect(queue.failureCount("a") == 2)
        queue.forget("a")
        #expect(queue.failureCount("a") == 0)
    }

    @Test func anAddBeatsAPendingBackoff() {
        var queue = WorkQueueState<String>()
        queue.addFailed("a", now: start)
        queue.add("a")
        #expect(queue.next(now: start) == "a", "an event makes a backed-off key ready at once")
        #expect(queue.delayedCount == 0)
    }

    @Test func tokenBucketLimitsTheRate() {
        var bucket = TokenBucket(rate: 10, burst: 2, now: start)
        #expect(bucket.reserve(at: start) == .zero)
        #expect(bucket.reserve(at: start) == .zero)
        #expect(bucket.reserve(at: start) == .milliseconds(100))
        #expect(bucket.reserve(at: start) == .milliseconds(200))
        // After a quiet second the burst is available again, and no more.
        #expect(bucket.reserve(at: start + .seconds(2)) == .zero)
        #expect(bucket.reserve(at: start + .seconds(2)) == .zero)
        #expect(bucket.reserve(at: start + .seconds(2)) > .zero)
    }

    @Test func circuitBreakerOpensThenProbes() {
        var breaker = CircuitBreaker(threshold: 3, cooldown: .seconds(10))
        for _ in 0..<2 { breaker.recordFailure(at: start) }
        let stillClosed = breaker.allow(at: start)
        #expect(stillClosed && breaker.isClosed)
        breaker.recordFailure(at: start)
        let duringCooldown = breaker.allow(at: start + .seconds(9))
        #expect(!duringCooldown, "open: no hammering")
        let probe = breaker.allow(at: start + .seconds(10))
        #expect(probe, "half-open: one probe")
        let secondProbe = breaker.allow(at: start + .seconds(10))
        #expect(!secondProbe, "only one probe at a time")
        breaker.recordFailure(at: start + .seconds(11))
        let reopened = breaker.allow(at: start + .seconds(20))
        #expect(!reopened)
        let nextProbe = breaker.allow(at: start + .seconds(21))
        #expect(nextProbe)
        breaker.recordSuccess()
        let afterSuccess = breaker.allow(at: start + .seconds(21))
        #expect(breaker.isClosed && afterSuccess)
    }

    @Test func aFailedKeyComesBackAfterItsBackoffOnTheQueuesClock() async {
        let clock = ManualClock()
        let queue = WorkQueue<String>(backoff: .reconcile, clock: clock)
        await queue.add("a")
        #expect(await queue.next() == "a")
        await queue.addFailed("a")
        await queue.done("a")
        let waiting = Task { await queue.next() }
        for _ in 0..<50 { await Task.yield() }
        clock.advance(by: .milliseconds(49))
        for _ in 0..<50 { await Task.yield() }
        #expect(clock.sleepers == 1, "still waiting for the 50 ms backoff")
        clock.advance(by: .milliseconds(1))
        #expect(await waiting.value == "a")
    }

    /// What the workers saw, shared between them.
    final class Observations: Sendable {
        let active = Mutex<Set<Int>>([])
        let overlaps = Mutex(0)
        let reconciles = Mutex(0)
    }

    @Test func workersNeverReconcileOneKeyConcurrently() async {
        let queue = WorkQueue<Int>(backoff: RetryPolicy(maxAttempts: .max, base: .milliseconds(1), cap: .milliseconds(5), jitter: .none))
        let seen = Observations()
        for round in 0..<50 { await queue.add(round % 5) }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    while let key = await queue.next() {
                        let overlapped = seen.active.withLock { !$0.insert(key).inserted }
                        if overlapped { seen.overlaps.withLock { $0 += 1 } }
                        // Adding the key while it is held must not hand it out in parallel.
                        await queue.add(key)
                        try? await Task.sleep(for: .milliseconds(1))
                        seen.active.withLock { _ = $0.remove(key) }
                        let count = seen.reconciles.withLock { value -> Int in
                            value += 1
                            return value
                        }
                        await queue.done(key)
                        if count >= 60 { await queue.shutDown() }
                    }
                }
            }
        }
        let overlapCount = seen.overlaps.withLock { value in value }
        let reconcileCount = seen.reconciles.withLock { value in value }
        #expect(overlapCount == 0)
        #expect(reconcileCount >= 60)
    }

    @Test func delayedKeysWakeAWaitingWorker() async {
        let queue = WorkQueue<String>()
        let clock = ContinuousClock()
        let started = clock.now
        await queue.add("later", after: .milliseconds(30))
        let key = await queue.next()
        #expect(key == "later")
        #expect(clock.now - started >= .milliseconds(30))
    }
}
